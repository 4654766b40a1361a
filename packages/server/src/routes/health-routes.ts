import type { FastifyInstance } from "fastify";
import type { RedisHealth } from "../cluster/redis-health.js";
import { StorageUnavailableError, type Storage } from "../storage/storage.js";
import { errorResponses, response } from "../http/openapi-schemas.js";

const STATUS_BODY = { type: "object", properties: { status: { type: "string" } }, required: ["status"] };
const READY_BODY = {
  type: "object",
  properties: {
    status: { type: "string", enum: ["ready"] },
    storage: { type: "string", enum: ["up"] },
    redis: {
      type: "string",
      enum: ["up", "down", "off"],
      description: "Shared Redis: off when REDIS_URL is unset. Down does not fail readiness (docs/operations.md).",
    },
  },
  required: ["status", "storage", "redis"],
};

/**
 * GET /healthz (the process answers) and GET /readyz (storage answers too). No auth.
 * Redis is reported by readyz but does not fail it: every process shares the one Redis, so
 * failing readiness on it would take the whole fleet out of the load balancer, while each
 * process serves correctly without it (per-process limits, key cache TTL).
 */
export async function healthRoutes(
  app: FastifyInstance,
  options: { storage: Pick<Storage, "ping">; redis?: Pick<RedisHealth, "state"> | undefined },
): Promise<void> {
  app.get(
    "/healthz",
    {
      schema: {
        tags: ["health"],
        summary: "Liveness: the process is up",
        response: { 200: response("The process is up.", STATUS_BODY) },
      },
    },
    async () => ({ status: "ok" }),
  );
  app.get(
    "/readyz",
    {
      schema: {
        tags: ["health"],
        summary: "Readiness: storage is reachable",
        response: { 200: response("Storage answers; Redis state reported.", READY_BODY), ...errorResponses([503]) },
      },
    },
    async () => {
      try {
        await options.storage.ping();
      } catch (error) {
        // Whatever the engine threw, "not ready" is the answer; the load balancer retries later.
        throw new StorageUnavailableError("storage did not answer", { cause: error });
      }
      return { status: "ready", storage: "up", redis: options.redis?.state() ?? "off" };
    },
  );
}
