import type { FastifyInstance } from "fastify";
import type { AuthFailureThrottle } from "../auth/auth-failure-throttle.js";
import { requireBearerSecret } from "../auth/bearer-secret.js";
import { HttpError } from "../http/http-error.js";
import type { ServerMetrics } from "../metrics/server-metrics.js";

/**
 * GET /metrics in Prometheus's text format, for a scraper holding METRICS_TOKEN as its bearer
 * token, compared in constant time. Registered only when the token is set: the route does not
 * exist otherwise (404).
 * Left out of the OpenAPI document: it is the operator's, not the API's.
 */
export async function metricsRoutes(app: FastifyInstance, options: { metrics: ServerMetrics; token: string; throttle: AuthFailureThrottle }): Promise<void> {
  const { throttle } = options;
  app.get("/metrics", { schema: { hide: true } }, async (request, reply) => {
    // Guesses at the token count against the address like any failed authentication (429 past the budget).
    await requireBearerSecret(request, options.token, throttle, () => new HttpError("unauthorized", "missing or wrong metrics token", undefined, { "www-authenticate": "Bearer" }));
    void reply.type(options.metrics.registry.contentType);
    return options.metrics.registry.metrics();
  });
}
