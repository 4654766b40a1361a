import type { FastifyInstance } from "fastify";
import { StorageUnavailableError, type Storage } from "../storage/storage.js";
import { errorResponses, response } from "./openapi-schemas.js";

const STATUS_BODY = { type: "object", properties: { status: { type: "string" } }, required: ["status"] };

/** GET /healthz (the process answers) and GET /readyz (storage answers too). No auth. */
export async function healthRoutes(app: FastifyInstance, options: { storage: Pick<Storage, "ping"> }): Promise<void> {
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
        response: { 200: response("Storage answers.", STATUS_BODY), ...errorResponses([503]) },
      },
    },
    async () => {
      try {
        await options.storage.ping();
      } catch (error) {
        // Whatever the engine threw, "not ready" is the answer; the load balancer retries later.
        throw new StorageUnavailableError("storage did not answer", { cause: error });
      }
      return { status: "ready" };
    },
  );
}
