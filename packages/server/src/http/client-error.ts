import type { Socket } from "node:net";
import type { FastifyInstance } from "fastify";
import { errorBody } from "./http-error.js";
import { logParserRefusal } from "./request-log.js";

/**
 * Fastify's `clientErrorHandler`: answers a request that Node's HTTP parser refused (NUL or
 * other bytes not allowed in a header, a Content-Length that is not a number or disagrees with
 * Transfer-Encoding, broken chunking, headers too large, a request too slow to arrive) with the
 * API's error body instead of Fastify's own `{"error":"Bad Request",...}`, so every error a client
 * can meet has a code and a message. No route ran, so no hook adds headers: they are written here.
 * The status keeps what the parser meant (408, 431, else 400); the code is `invalid_request`.
 * Fastify calls it with the app as `this`: the refusal is logged through the app's logger.
 */
export function clientErrorHandler(this: FastifyInstance, error: NodeJS.ErrnoException, socket: Socket): void {
  if (error.code === "ECONNRESET" || socket.destroyed) return;
  // The client ended its side mid-request: nobody to answer (its request's line says "aborted").
  if (error.code === "HPE_INVALID_EOF_STATE") {
    socket.destroy();
    return;
  }
  const [status, reason, message] =
    error.code === "ERR_HTTP_REQUEST_TIMEOUT"
      ? [408, "Request Timeout", "the request did not arrive in time"]
      : error.code === "HPE_HEADER_OVERFLOW"
        ? [431, "Request Header Fields Too Large", "the request headers are too large"]
        : [400, "Bad Request", "malformed HTTP request (header bytes, Content-Length or chunked encoding)"];
  logParserRefusal(this.log, socket, status, error.code ?? "unknown");
  const body = JSON.stringify(errorBody("invalid_request", message));
  if (socket.writable) {
    socket.write(
      `HTTP/1.1 ${status} ${reason}\r\n` +
        `Content-Type: application/json; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\n` +
        `API-Version: 1\r\nConnection: close\r\n\r\n${body}`,
    );
  }
  socket.destroy();
}
