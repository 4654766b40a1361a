import type { FastifyInstance, FastifyRequest } from "fastify";

/**
 * One log line per answered request, written when its answer is sent: the request (method, safe
 * URL, client address), its status and time, and what its route added (the ingest counts).
 * Fastify's own pair of lines ("incoming request", "request completed") is turned off in
 * app.ts, because an operator reading a busy log wants each request once, with its outcome.
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

/** Logs every answered request once, at info, through the request's own logger (its `reqId`). */
export function installRequestLog(app: FastifyInstance): void {
  app.addHook("onResponse", async (request, reply) => {
    const described = routeLines.get(request);
    request.log.info(
      { ...described?.fields, req: request, res: reply, responseTime: reply.elapsedTime },
      described?.message ?? "request completed",
    );
  });
}
