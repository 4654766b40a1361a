import type { Socket } from "node:net";
import { LogController, type FastifyBaseLogger, type FastifyReply, type FastifyRequest } from "fastify";

/**
 * One log line per request, written when it ends: the request (method, safe URL, client
 * address), its status and time, and what its route added (the ingest counts). Fastify writes two
 * by default ("incoming request", then "request completed" without the URL); an operator reading
 * a busy log wants each request once, with its outcome. A request that ends without a finished
 * answer gets its line too: "request aborted" (the client went away) or "request refused" (the
 * HTTP parser cut it, e.g. a body still arriving at the request deadline: 408). A request the
 * parser refused before Fastify saw it (a broken head) gets a "request refused" line of its own.
 */

/** What a route adds to its request's line: the message and fields an operator greps for. */
interface RouteLogLine {
  message: string;
  fields: Record<string, unknown>;
}

const routeLines = new WeakMap<FastifyRequest, RouteLogLine>();
/** The request being served on each connection: the one a parser refusal on it cuts. */
const servedOn = new WeakMap<Socket, FastifyRequest>();
/** Requests the parser cut, with the status their connection was answered. */
const cutByParser = new WeakMap<FastifyRequest, number>();
/** Requests whose answer was handed whole to their connection. */
const answered = new WeakSet<FastifyRequest>();
/** Requests whose line is written: none gets two. */
const logged = new WeakSet<FastifyRequest>();

/** Names this request's line `message` and adds `fields` to it (e.g. "ingest" with its counts). */
export function describeRequestLine(request: FastifyRequest, message: string, fields: Record<string, unknown>): void {
  routeLines.set(request, { message, fields });
}

/**
 * Logs a refusal by Node's HTTP parser (http/client-error.ts) once: as the line of the request
 * it cut, when one was being served on the connection, else as a line of its own.
 */
export function logParserRefusal(log: FastifyBaseLogger, socket: Socket, statusCode: number, reason: string): void {
  const request = servedOn.get(socket);
  if (request !== undefined && !logged.has(request)) {
    cutByParser.set(request, statusCode);
    return;
  }
  log.info({ remoteAddress: socket.remoteAddress, res: { statusCode }, reason }, "request refused");
}

/**
 * Writes the request's one line when its connection's answer is over, whichever comes first:
 * Fastify's requestCompleted (after the onResponse hooks) or the response's close.
 */
function lineAtClose(request: FastifyRequest, reply: FastifyReply): void {
  const socket = request.raw.socket;
  servedOn.set(socket, request);
  // "finish": the whole answer was handed to the connection (writableFinished is not set by inject's responses).
  reply.raw.once("finish", () => answered.add(request));
  reply.raw.once("close", () => {
    if (servedOn.get(socket) === request) servedOn.delete(socket);
    writeLine(request, reply, null);
  });
}

function writeLine(request: FastifyRequest, reply: FastifyReply, error: Error | null | undefined): void {
  if (logged.has(request)) return;
  logged.add(request);
  const line = { req: request, responseTime: reply.elapsedTime };
  // The answer's stream failed: Fastify's own case, kept at error.
  if (error) {
    reply.log.error({ ...line, res: reply, err: error }, "request errored");
    return;
  }
  if (!answered.has(request)) {
    const statusCode = cutByParser.get(request);
    if (statusCode === undefined) reply.log.info(line, "request aborted");
    else reply.log.info({ ...line, res: { statusCode } }, "request refused");
    return;
  }
  const described = routeLines.get(request);
  reply.log.info({ ...described?.fields, ...line, res: reply }, described?.message ?? "request completed");
}

/** Fastify's per-request log lines, as this server writes them (the app's `logController`). */
export class RequestLogController extends LogController {
  override incomingRequest(request: FastifyRequest, reply: FastifyReply): void {
    // Nothing on arrival: the request is in its one line at the end.
    lineAtClose(request, reply);
  }

  override requestCompleted(error: Error | null | undefined, request: FastifyRequest, reply: FastifyReply): void {
    // Fastify calls it once the answer finished (or its stream failed, with `error`).
    if (!error) answered.add(request);
    writeLine(request, reply, error);
  }
}

/** The line of a request Fastify answered before routing (frameworkErrors), which it does not log itself. */
export function logFrameworkAnswer(request: FastifyRequest, reply: FastifyReply): void {
  lineAtClose(request, reply);
}
