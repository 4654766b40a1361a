import type { FastifyRequest } from "fastify";
import { HttpError } from "../http/http-error.js";
import type { AuthFailureThrottle } from "./auth-failure-throttle.js";
import { requireBearerSecret } from "./bearer-secret.js";

/**
 * onRequest hook for /v1/admin/: the admin token, compared in constant time. An API key is
 * no admin credential: it fails the comparison like any other wrong token. Each failure counts
 * against the client address, and an address over its budget is refused (429) before the
 * comparison (auth-failure-throttle.ts).
 * With no admin token configured the admin API is off (404 admin_disabled).
 */
export function adminAuthHook(adminToken: string | null, throttle: AuthFailureThrottle) {
  return async (request: FastifyRequest): Promise<void> => {
    if (adminToken === null) throw new HttpError("admin_disabled", "the admin API is not enabled on this server");
    await requireBearerSecret(request, adminToken, throttle, () =>
      new HttpError("unauthorized", "missing or wrong admin token", undefined, { "www-authenticate": 'Bearer realm="mosaic-telemetry-admin"' }),
    );
  };
}
