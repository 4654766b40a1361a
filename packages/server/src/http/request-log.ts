import { LogController, type FastifyReply, type FastifyRequest } from "fastify";

/**
 * One log line per answered request, written when its answer has been sent: the request (method,
 * safe URL, client address), its status and time, and what its route added (the ingest counts).
 * Fastify writes two by default ("incoming request", then "request completed" without the URL);
 * an operator reading a busy log wants each request once, with its outcome.
 */

/** What a route adds to its request's line: the message and fields an operator greps for. */
interface RouteLogLine {
  message: string;
  fields: Record<string, unknown>;
}

const routeLines = new WeakMap<FastifyRequest, RouteLogLine>();

/** Names this request's line `message` and adds `fields` to it (e.g. "ingest" with its counts). */
export function describeRequestLine(request: FastifyRequest, message: string, fields: Record<string, unknown>): void {
  routeLines.set(request, { message, fields });
}

/** Fastify's per-request log lines, as this server writes them (the app's `logController`). */
export class RequestLogController extends LogController {
  override incomingRequest(): void {
    // Nothing on arrival: the request is in its one line at the end.
  }

  override requestCompleted(error: Error | null | undefined, request: FastifyRequest, reply: FastifyReply): void {
    const line = { req: request, res: reply, responseTime: reply.elapsedTime };
    // Sending the answer failed (the client went away mid-write): Fastify's own case, kept at error.
    if (error) {
      reply.log.error({ ...line, err: error }, "request errored");
      return;
    }
    const described = routeLines.get(request);
    reply.log.info({ ...described?.fields, ...line }, described?.message ?? "request completed");
  }
}
