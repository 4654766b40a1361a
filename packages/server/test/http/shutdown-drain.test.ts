import { connect } from "node:net";
import { describe, expect, it } from "vitest";
import type { PredictionResponse } from "@mosaicstack/telemetry-protocol";
import { noDataPredictor, startTestServer } from "./test-server.js";

const QUERY = { task_type: "implementation", model: "m", provider: "anthropic", complexity: "low" };

describe("closing the app", () => {
  it("finishes the request in flight and answers a request arriving while draining 503 service_unavailable", async () => {
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

    const responses = received.split(/(?=HTTP\/1\.1 )/);
    expect(responses).toHaveLength(2);
    expect(responses[0]).toMatch(/^HTTP\/1\.1 200/);
    expect(responses[0]).toContain('"results":[');
    expect(responses[1]).toMatch(/^HTTP\/1\.1 503/);
    expect(responses[1]?.toLowerCase()).toContain("api-version: 1");
    expect(responses[1]?.toLowerCase()).toContain("retry-after: 1");
    expect(responses[1]).toContain('{"error":{"code":"service_unavailable","message":"the server is shutting down, retry"}}');
    await server.close();
  });
});
