import type { FastifyRequest } from "fastify";
import { safeUrl } from "./safe-url.js";

/**
 * pino serializers of the app's logger. Fastify's own `req` serializer writes `request.url`
 * whole, query string included; this one writes the same fields with the URL made safe, so a
 * credential sent in a URL never reaches the log.
 */
export const LOG_SERIALIZERS = Object.freeze({
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
