import { timingSafeEqual } from "node:crypto";
import type { FastifyInstance } from "fastify";
import { HttpError } from "../http/http-error.js";
import type { ServerMetrics } from "../metrics/server-metrics.js";

/**
 * GET /metrics in Prometheus's text format, for a scraper holding METRICS_TOKEN as its bearer
 * token. Registered only when the token is set: the route does not exist otherwise (404).
 * Left out of the OpenAPI document: it is the operator's, not the API's.
 */
export async function metricsRoutes(app: FastifyInstance, options: { metrics: ServerMetrics; token: string }): Promise<void> {
  const expected = Buffer.from(`Bearer ${options.token}`);
  app.get("/metrics", { schema: { hide: true } }, async (request, reply) => {
    const given = Buffer.from(request.headers.authorization ?? "");
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
      throw new HttpError("unauthorized", "missing or wrong metrics token", undefined, { "www-authenticate": "Bearer" });
    }
    void reply.type(options.metrics.registry.contentType);
    return options.metrics.registry.metrics();
  });
}
