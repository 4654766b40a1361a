import type { IncomingMessage, ServerResponse } from "node:http";
import type { Socket } from "node:net";
import type { FastifyInstance } from "fastify";

/**
 * Closes the app's connections without cutting an answer. Fastify's own way (its
 * `forceCloseConnections: "idle"`) and Node's server.close() destroy every connection with no
 * request in progress, and a connection whose answer is complete for Node may still be sending it:
 * a large answer to a slow reader was cut at SIGTERM. So the app is built with
 * `forceCloseConnections: false`, and before the server closes, each connection without a request
 * in progress is ended instead (what it still has to send goes first, then the server's FIN) and
 * the close waits until that is sent. Connections with a request in progress end after their
 * answer (it carries `Connection: close` while draining). A client that never reads is bounded by
 * the process's shutdown deadline (cli/serve.ts).
 */
export function closeConnectionsGracefully(app: FastifyInstance): void {
  const open = new Set<Socket>();
  /** Each connection's latest answer: Node deems a connection idle once that answer has ended, sent or not. */
  const answers = new Map<Socket, ServerResponse>();
  app.server.on("connection", (socket: Socket) => {
    open.add(socket);
    socket.once("close", () => {
      open.delete(socket);
      answers.delete(socket);
    });
  });
  // Node's own "request" event, not a Fastify hook: no promise per request on the ingest path.
  app.server.on("request", (request: IncomingMessage, response: ServerResponse) => {
    answers.set(request.socket, response);
  });
  app.addHook("preClose", async () => {
    const sent: Promise<void>[] = [];
    for (const socket of open) {
      const answer = answers.get(socket);
      // An answer still being made: its connection ends after it (Connection: close while draining).
      if (answer !== undefined && !answer.writableEnded) continue;
      // Node's server.close() destroys the connections it deems idle, an ended answer still in the
      // socket's buffer included: the close waits until what is buffered has reached the system.
      sent.push(new Promise<void>((resolve) => socket.end(() => resolve())));
    }
    await Promise.all(sent);
  });
}
