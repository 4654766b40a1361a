import type { FastifyRequest } from "fastify";
import type { UrlMasker } from "./safe-url.js";

/**
 * pino serializers of the app's logger. Fastify's own `req` serializer writes `request.url`
 * whole, query string included; this one writes the same fields with the URL made safe by
 * `safeUrl` (the app's masker, which knows the admin token), so a credential sent in a URL never
 * reaches the log.
 */
export function logSerializers(safeUrl: UrlMasker) {
  return Object.freeze({
    req(request: FastifyRequest) {
      return {
        method: request.method,
        url: safeUrl(request.url),
        host: request.host,
        remoteAddress: request.ip,
        remotePort: request.socket?.remotePort,
      };
    },
  });
}
