import { connect } from "node:net";
import { describe, expect, it } from "vitest";
import type { PredictionResponse } from "@mosaicstack/telemetry-protocol";
import { noDataPredictor, startTestServer } from "./test-server.js";

const QUERY = { task_type: "implementation", model: "m", provider: "anthropic", complexity: "low" };

// On a socket: what is under test is the connection itself (Connection: close, a request pipelined on it while draining).
describe("closing the app", () => {
  it("finishes the request in flight with Connection: close and serves nothing more on that connection", async () => {
    let release!: () => void;
    const gate = new Promise<void>((done) => (release = done));
    let entered!: () => void;
    const inHandler = new Promise<void>((done) => (entered = done));
    const server = await startTestServer({
      predictor: {
        async predict(queries): Promise<PredictionResponse[]> {
          entered();
          await gate;
          return noDataPredictor.predict(queries);
        },
      },
    });
    const { port } = new URL(server.url);
    const socket = connect(Number(port), "127.0.0.1");
    let received = "";
    socket.on("data", (chunk: Buffer) => (received += chunk.toString("utf8")));
    const ended = new Promise<void>((done) => socket.on("close", () => done()));

    const body = JSON.stringify({ queries: [QUERY] });
    socket.write(
      `POST /v1/predictions/batch HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n` +
        `Authorization: Bearer ${server.apiKey}\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
    );
    await inHandler;
    const closed = server.app.close();
    // The server stops listening right after the preClose hooks: from then on the app is draining.
    while (server.app.server.listening) await new Promise((done) => setImmediate(done));
    // A second request pipelined on the busy connection reaches the router while draining.
    socket.write("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n");
    await new Promise((done) => setTimeout(done, 50));
    release();
    await ended;
    await closed;

    // The in-flight answer closes its connection (an idle kept-alive socket would hold the
    // shutdown); the pipelined request is not served, so its client retries it elsewhere.
    const responses = received.split(/(?=HTTP\/1\.1 )/);
    expect(responses).toHaveLength(1);
    expect(responses[0]).toMatch(/^HTTP\/1\.1 200/);
    expect(responses[0]?.toLowerCase()).toContain("connection: close");
    expect(responses[0]?.toLowerCase()).toContain("api-version: 1");
    expect(responses[0]).toContain('"results":[');
    await server.close();
  });
});
