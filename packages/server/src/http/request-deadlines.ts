import type { Socket } from "node:net";
import type { FastifyInstance } from "fastify";

/** How long a request may take to arrive, and how long the rest of a refused one. */
export interface RequestDeadlines {
  /**
   * From a request's first byte to its last: past it the request is answered 408 and its
   * connection closed, so a body trickled a byte at a time cannot hold a connection for ever.
   * @default 60000
   */
  requestTimeoutMs: number;
  /**
   * After an answer sent before its request's body fully arrived (401, 403, 413, 415, 429: any
   * refusal that needs no body), how long the rest of the body may take before the connection
   * is closed. @default 5000
   */
  refusedBodyTimeoutMs: number;
}

/** The defaults of RequestDeadlines, documented in docs/configuration.md. */
export const DEFAULT_REQUEST_DEADLINES: Readonly<RequestDeadlines> = Object.freeze({ requestTimeoutMs: 60_000, refusedBodyTimeoutMs: 5_000 });

/** Node's own bound on the request head (60 s), never longer than the whole request's. */
const MAX_HEADERS_TIMEOUT_MS = 60_000;

/**
 * Applies RequestDeadlines to the app's HTTP server; call it before `listen`.
 *
 * Node enforces `requestTimeout` (and `headersTimeout`) only when it checks its connections,
 * every `connectionsCheckingInterval` (30 s by default), and Fastify turns `requestTimeout` off
 * (0) unless told otherwise. So the interval is set to a tenth of the timeout (at most 1 s): a
 * request is cut between its deadline and a tenth later.
 *
 * Every 401 closes its connection, whether its body had arrived or not. A refused request's
 * connection is closed as HTTP/1.1 asks (RFC 9112 section 9.6): the answer
 * says `Connection: close`, then only the server's sending side closes at once, and what the
 * client still sends is read and dropped for at most `refusedBodyTimeoutMs`. Closing both sides
 * while body bytes are unread would make the kernel answer them with a reset, which can destroy
 * the answer before the client reads it; reading for ever would let a trickled body hold the
 * connection, as before this bound (issue 12).
 */
export function applyRequestDeadlines(app: FastifyInstance, deadlines: RequestDeadlines): void {
  // connectionsCheckingInterval is read when the server starts listening (missing from @types/node 20's Server).
  const server = app.server as typeof app.server & { connectionsCheckingInterval: number };
  server.requestTimeout = deadlines.requestTimeoutMs;
  server.headersTimeout = Math.min(MAX_HEADERS_TIMEOUT_MS, deadlines.requestTimeoutMs);
  server.connectionsCheckingInterval = checkingInterval(deadlines.requestTimeoutMs);
  app.addHook("onSend", async (request, reply, payload) => {
    // `complete` is false while the body is still arriving (undefined under inject: no socket).
    if (request.raw.complete === false) {
      void reply.header("connection", "close");
      lingerOnClose(request.raw.socket, deadlines.refusedBodyTimeoutMs);
    } else if (reply.statusCode === 401) {
      // A client without a valid credential keeps no idle connection open (Fastify's keep-alive lasts 72 s).
      void reply.header("connection", "close");
    }
    return payload;
  });
}

/** How often Node checks its connections' deadlines: a tenth of the request timeout, 10 ms to 1 s. */
export function checkingInterval(requestTimeoutMs: number): number {
  return Math.min(1_000, Math.max(10, Math.floor(requestTimeoutMs / 10)));
}

/**
 * Makes the close that Node's HTTP server starts after a `Connection: close` answer (it calls
 * `socket.destroySoon()` once the answer is written) a lingering one: the sending side ends, the
 * receiving side keeps draining (Node discards the rest of the body) until the client closes or
 * `lingerMs` pass.
 */
function lingerOnClose(socket: Socket, lingerMs: number): void {
  socket.destroySoon = function lingeringClose(this: Socket): void {
    this.end();
    const timer = setTimeout(() => this.destroy(), lingerMs);
    timer.unref();
    this.once("close", () => clearTimeout(timer));
  };
}
