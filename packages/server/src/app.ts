import Fastify, { type FastifyInstance, type FastifyServerOptions, type RouteOptions } from "fastify";
import swagger from "@fastify/swagger";
import swaggerUi from "@fastify/swagger-ui";
import type { Redis } from "ioredis";
import type { DestinationStream } from "pino";
import { EVENT_JSON_SCHEMA } from "@mosaicstack/telemetry-protocol";
import { adminAuthHook } from "./auth/admin-auth.js";
import { apiKeyAuthHook } from "./auth/api-key-auth.js";
import { ApiKeyCache } from "./auth/api-key-cache.js";
import { AuthFailureThrottle, DEFAULT_AUTH_FAILURES_PER_MINUTE, localFailureCounter } from "./auth/auth-failure-throttle.js";
import { createLocalRevocationNotifier, type RevocationNotifier } from "./auth/revocation-notifier.js";
import { commandOutcomeHealth, type RedisHealth } from "./cluster/redis-health.js";
import { sharedFailureCounter } from "./cluster/shared-failure-counter.js";
import type { LogLevel, ServerConfig } from "./config/config.js";
import { clientErrorHandler } from "./http/client-error.js";
import { answerFrameworkError, installErrorHandling } from "./http/error-handler.js";
import { closeConnectionsGracefully } from "./http/graceful-close.js";
import { logSerializers } from "./http/log-serializers.js";
import { RequestLogController } from "./http/request-log.js";
import { urlMasker, type UrlMasker } from "./http/safe-url.js";
import { HttpError } from "./http/http-error.js";
import { gzipBodyHook } from "./http/gzip-body.js";
import { installJsonBodyParser } from "./http/json-body-parser.js";
import { DEFAULT_REQUEST_DEADLINES, applyRequestDeadlines } from "./http/request-deadlines.js";
import { registerRateLimit, routeRateLimit } from "./http/rate-limit.js";
import { applyApiVersionLifecycle } from "./http/api-version-lifecycle.js";
import { logDestination, quietListenLines } from "./http/log-destination.js";
import { ServerMetrics } from "./metrics/server-metrics.js";
import { metricsRoutes } from "./routes/metrics-routes.js";
import { adminRoutes } from "./routes/admin-routes.js";
import { dashboardRoutes } from "./routes/dashboard-routes.js";
import { eventsRoutes } from "./routes/events-routes.js";
import { healthRoutes } from "./routes/health-routes.js";
import { ERROR_BODY_SCHEMA, response } from "./http/openapi-schemas.js";
import { predictionsRoutes, type Predictor } from "./routes/predictions-routes.js";
import { adminUsageRoutes, usageRoutes } from "./routes/usage-routes.js";
import type { Storage } from "./storage/storage.js";

/** Everything the app needs, passed in so tests and other deployments can swap any part. */
export interface AppDeps {
  config: Pick<ServerConfig, "bodyLimitBytes" | "rateLimits" | "logLevel"> &
    Partial<
      Pick<
        ServerConfig,
        "adminToken" | "requestTimeoutMs" | "refusedBodyTimeoutMs" | "authFailuresPerMinute" | "trustProxy" | "metricsToken" | "apiV1"
      >
    >;
  storage: Storage;
  predictor: Predictor;
  /** The admin token in force (main resolves the token file). @default config.adminToken; null turns the admin API off */
  adminToken?: string | null;
  /** Log destination, or false for no logs. @default stdout at config.logLevel */
  logger?: { stream?: DestinationStream; level?: LogLevel } | false;
  /** @default () => new Date() */
  now?: () => Date;
  /** @default a 30 s in-process cache */
  keyCache?: ApiKeyCache;
  /** How revocations reach other processes. @default this process only */
  revocations?: RevocationNotifier;
  /** Redis client for shared rate-limit counters. @default in-process counters */
  rateLimitRedis?: Redis;
  /** Shared-Redis state for readyz and the limiter's failure reports (a RedisLink). @default none: readyz says "off" */
  redisHealth?: RedisHealth;
  /** Prefix of the rate-limit keys in Redis. @default "mosaic:rl:" */
  rateLimitKeyPrefix?: string;
  /** Told of every route as it is registered (tests compare them with the OpenAPI document). */
  onRoute?: (route: RouteOptions) => void;
}

const NO_LIFECYCLE = { deprecatedAt: null, sunsetAt: null, successorUrl: null } as const;

/** Paths whose fields the logger must never write: credentials. */
const REDACTED = ["req.headers.authorization", "req.headers.cookie", "headers.authorization"];

/**
 * Builds the API v1 app without listening: tests call it in-process, `main` listens.
 *
 * @example
 * const app = await buildApp({ config, storage, predictor });
 * await app.listen({ port: config.port, host: config.host });
 */
export async function buildApp(deps: AppDeps): Promise<FastifyInstance> {
  const now = deps.now ?? (() => new Date());
  const keyCache = deps.keyCache ?? new ApiKeyCache({ now: () => now().getTime() });
  const revocations = deps.revocations ?? createLocalRevocationNotifier();
  const adminToken = deps.adminToken !== undefined ? deps.adminToken : (deps.config.adminToken ?? null);
  // URLs in logs and 404 messages: no query string, no API key, and not the admin token either.
  const safeUrl = urlMasker(adminToken === null ? [] : [adminToken]);

  const app = Fastify({
    logger: loggerOptions(deps, safeUrl),
    // One line per request instead of Fastify's two: http/request-log.ts.
    logController: new RequestLogController(),
    bodyLimit: deps.config.bodyLimitBytes,
    // HEAD twins of every GET would double the route table the OpenAPI document must match.
    exposeHeadRoutes: false,
    // Types are checked, never coerced: "12" is not a number on this API.
    ajv: { customOptions: { coerceTypes: false, removeAdditional: false, allErrors: false } },
    // Request ids for log correlation; no header trust by default (no proxy assumed).
    requestIdHeader: false,
    // The client address (rate of failed authentications, logs) from X-Forwarded-For only behind a proxy named by TRUST_PROXY.
    trustProxy: typeof deps.config.trustProxy === "object" ? [...deps.config.trustProxy] : (deps.config.trustProxy ?? false),
    // Fastify's own drain answer is a bare body without our headers; ours is the hook below.
    return503OnClosing: false,
    // Fastify would destroy connections still sending a finished answer: http/graceful-close.ts ends them.
    forceCloseConnections: false,
    // Requests the HTTP parser refuses, or Fastify before routing, still get the API's error body.
    clientErrorHandler,
    frameworkErrors: answerFrameworkError,
  });

  // A body trickled a byte at a time, with or without a key, must not hold a connection for ever.
  applyRequestDeadlines(app, {
    requestTimeoutMs: deps.config.requestTimeoutMs ?? DEFAULT_REQUEST_DEADLINES.requestTimeoutMs,
    refusedBodyTimeoutMs: deps.config.refusedBodyTimeoutMs ?? DEFAULT_REQUEST_DEADLINES.refusedBodyTimeoutMs,
  });

  if (deps.onRoute) {
    const listener = deps.onRoute;
    app.addHook("onRoute", (route) => listener(route));
  }
  // While draining, requests on kept-alive connections get a retryable 503 and the connection closes,
  // so a load balancer moves them to another node; the requests already in flight finish.
  let closing = false;
  // Every answer, error or not, names the API version (docs/api.md).
  app.addHook("onSend", async (_request, reply, payload) => {
    void reply.header("API-Version", "1");
    // Answers finished while draining close their connection: an idle kept-alive socket would
    // otherwise hold the shutdown until the client drops it.
    if (closing) void reply.header("connection", "close");
    return payload;
  });
  installErrorHandling(app, safeUrl);
  app.addHook("preClose", async () => {
    closing = true;
  });
  closeConnectionsGracefully(app);
  app.addHook("onRequest", async () => {
    if (closing) {
      throw new HttpError("service_unavailable", "the server is shutting down, retry", undefined, {
        "retry-after": "1",
        connection: "close",
      });
    }
  });
  // Only JSON bodies: without this Fastify would also parse text/plain and the answer would be 400, not 415.
  app.removeContentTypeParser("text/plain");
  installJsonBodyParser(app);
  app.addHook("preParsing", gzipBodyHook(deps.config.bodyLimitBytes));

  const unsubscribe = revocations.subscribe((keyId) => keyCache.invalidate(keyId));
  app.addHook("onClose", async () => unsubscribe());
  app.decorateRequest("apiKey", null);

  await app.register(swagger, {
    openapi: {
      openapi: "3.0.3",
      info: {
        title: "Mosaic Telemetry API",
        version: "1",
        description:
          "API v1: report finished AI coding tasks, read crowd-sourced predictions, administer instances and keys. " +
          "Every response carries `API-Version: 1`; every error is `{\"error\": {code, message, details?}}`.",
      },
      components: {
        securitySchemes: {
          apiKey: { type: "http", scheme: "bearer", description: "An instance's API key: msk_…" },
          adminToken: { type: "http", scheme: "bearer", description: "The operator's admin token." },
        },
        schemas: {
          ErrorBody: ERROR_BODY_SCHEMA,
          Event: withoutId(EVENT_JSON_SCHEMA),
        },
      },
      tags: [
        { name: "events", description: "Ingest" },
        { name: "predictions", description: "Predictions" },
        { name: "usage", description: "Usage over time and costliest tasks (rollups)" },
        { name: "admin", description: "Instances and keys (admin token)" },
        { name: "health", description: "Probes, no auth" },
        { name: "meta", description: "This document" },
      ],
    },
  });
  await app.register(swaggerUi, { routePrefix: "/docs" });
  await registerRateLimit(app, {
    ...(deps.rateLimitRedis ? { redis: deps.rateLimitRedis } : {}),
    ...(deps.redisHealth ? { health: deps.redisHealth } : {}),
    ...(deps.rateLimitKeyPrefix ? { keyPrefix: deps.rateLimitKeyPrefix } : {}),
  });

  app.get(
    "/openapi.json",
    {
      schema: {
        tags: ["meta"],
        summary: "This API's OpenAPI 3 document",
        response: { 200: response("OpenAPI 3 document.", { type: "object", additionalProperties: true }) },
      },
    },
    async () => app.swagger(),
  );
  await app.register(healthRoutes, { storage: deps.storage, redis: deps.redisHealth });
  // The web dashboard at / (static files; docs/dashboard.md).
  await app.register(dashboardRoutes, {});

  // Failed authentications per client address, admin token, API keys and the metrics token alike (auth-failure-throttle.ts).
  const throttle = new AuthFailureThrottle({
    maxFailures: deps.config.authFailuresPerMinute ?? DEFAULT_AUTH_FAILURES_PER_MINUTE,
    count: deps.rateLimitRedis
      ? sharedFailureCounter(deps.rateLimitRedis, deps.rateLimitKeyPrefix ?? "mosaic:rl:", deps.redisHealth ?? commandOutcomeHealth(app.log))
      : localFailureCounter(() => now().getTime()),
    now: () => now().getTime(),
  });

  // Prometheus metrics: counted always (cheap), served only with a token (docs/operations.md).
  const metrics = new ServerMetrics({
    ...(deps.storage.queueDepth ? { queueDepth: () => deps.storage.queueDepth?.() ?? 0 } : {}),
    ...(deps.redisHealth ? { redisState: () => (deps.redisHealth as RedisHealth).state() } : {}),
  });
  metrics.install(app);
  const metricsToken = deps.config.metricsToken ?? null;
  if (metricsToken !== null) await app.register(metricsRoutes, { metrics, token: metricsToken, throttle });

  // API v1 in a scope of its own under /v1, with its lifecycle (deprecation, sunset): a v2 is
  // another such scope beside it, routes written relative to their version's prefix.
  await app.register(
    async (v1) => {
      applyApiVersionLifecycle(v1, "v1", deps.config.apiV1 ?? NO_LIFECYCLE, now);
      await v1.register(async (scope) => {
        scope.addHook("onRequest", apiKeyAuthHook({ storage: deps.storage, cache: keyCache, now, throttle }));
        await scope.register(eventsRoutes, {
          storage: deps.storage,
          now,
          rateLimit: routeRateLimit(deps.config.rateLimits.eventsPerMinute),
          onOutcome: (counts) => metrics.recordEvents(counts),
        });
        await scope.register(predictionsRoutes, {
          predictor: deps.predictor,
          rateLimit: routeRateLimit(deps.config.rateLimits.predictionsPerMinute),
        });
        // Dashboard reads: bounded ranges, limited like predictions (the other read route).
        await scope.register(usageRoutes, { storage: deps.storage, rateLimit: routeRateLimit(deps.config.rateLimits.predictionsPerMinute) });
      });

      await v1.register(async (scope) => {
        scope.addHook("onRequest", adminAuthHook(adminToken, throttle));
        await scope.register(adminRoutes, { storage: deps.storage, now, keyCache, revocations });
        await scope.register(adminUsageRoutes, { storage: deps.storage });
      });
    },
    { prefix: "/v1" },
  );

  return app;
}

function loggerOptions(deps: AppDeps, safeUrl: UrlMasker): FastifyServerOptions["logger"] {
  if (deps.logger === false) return false;
  const level = deps.logger?.level ?? deps.config.logLevel;
  return {
    level,
    redact: { paths: REDACTED, censor: "[redacted]" },
    // Request URLs are logged without their query string and with credentials in the path masked.
    serializers: logSerializers(safeUrl),
    hooks: { logMethod: quietListenLines },
    // A given stream as it is; else pretty lines on a terminal, JSON lines otherwise.
    ...(deps.logger?.stream ? { stream: deps.logger.stream } : logDestination(process.stdout)),
  };
}

function withoutId(schema: Record<string, unknown>): Record<string, unknown> {
  const { $id: _id, ...rest } = schema;
  return rest;
}
