import type { FastifyRequest } from "fastify";
import type { HttpError } from "../http/http-error.js";
import { bearerToken } from "./api-key-auth.js";
import type { AuthFailureThrottle } from "./auth-failure-throttle.js";
import { secretsEqual } from "./secret-hash.js";

/**
 * Checks that the request carries `secret` as its bearer token (the admin token, the metrics
 * token), compared in constant time. An address over its budget of failures is refused (429)
 * before the comparison; each failure counts against the address and throws `refusal()`.
 */
export async function requireBearerSecret(request: FastifyRequest, secret: string, throttle: AuthFailureThrottle, refusal: () => HttpError): Promise<void> {
  throttle.check(request.ip);
  const token = bearerToken(request);
  if (token === null || !secretsEqual(token, secret)) {
    await throttle.failed(request.ip);
    throw refusal();
  }
}
