// On a socket: what is under test is how connections end when the app closes.
import { connect, type Socket } from "node:net";
import Fastify, { type FastifyInstance } from "fastify";
import { afterEach, describe, expect, it } from "vitest";
import { closeConnectionsGracefully } from "../../src/http/graceful-close.js";

const BIG = "x".repeat(20 * 1024 * 1024);

/** A bare app with the server's way of closing connections, and a route answering 20 MB. */
async function appWithBigAnswer(): Promise<{ app: FastifyInstance; port: number }> {
  const app = Fastify({ forceCloseConnections: false });
  closeConnectionsGracefully(app);
  app.get("/big", async () => BIG);
  app.get("/small", async () => "ok");
  await app.listen({ port: 0, host: "127.0.0.1" });
  return { app, port: (app.server.address() as { port: number }).port };
}

/** Sends one GET and reads what comes back, slowly (a pause after each chunk), until the connection closes. */
function slowReader(port: number, path: string): { socket: Socket; firstByte: Promise<void>; done: Promise<number> } {
  const socket = connect(port, "127.0.0.1", () => socket.write(`GET ${path} HTTP/1.1\r\nhost: x\r\n\r\n`));
  let bytes = 0;
  let first!: () => void;
  const firstByte = new Promise<void>((resolve) => (first = resolve));
  const done = new Promise<number>((resolve, reject) => {
    socket.on("data", (chunk: Buffer) => {
      bytes += chunk.length;
      first();
      socket.pause();
      setTimeout(() => socket.resume(), 2);
    });
    socket.on("close", () => resolve(bytes));
    socket.on("error", reject);
  });
  return { socket, firstByte, done };
}

describe("closing the app's connections", () => {
  let app: FastifyInstance | undefined;
  afterEach(async () => {
    await app?.close();
    app = undefined;
  });

  it("lets an answer still being sent to a slow reader arrive whole before its connection ends", async () => {
    const started = await appWithBigAnswer();
    app = started.app;
    const reader = slowReader(started.port, "/big");
    await reader.firstByte;
    await app.close();
    const received = await reader.done;
    // Head plus the whole 20 MB body: nothing cut.
    expect(received).toBeGreaterThan(BIG.length);
  });

  it("ends an idle kept-alive connection at once", async () => {
    const started = await appWithBigAnswer();
    app = started.app;
    const reader = slowReader(started.port, "/small");
    await reader.firstByte;
    const closing = app.close();
    expect(await reader.done).toBeGreaterThan(0);
    await closing;
  });
});
