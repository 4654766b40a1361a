// On a socket: requests cut by the HTTP parser, aborted by their client or refused before Fastify saw them exist only on a connection.
import { connect, type Socket } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createInstance, startLiveServer, type CreatedInstance, type LiveServer } from "../e2e/live-server.js";
import { makeEvent } from "../http/test-server.js";

/**
 * Every request gets exactly one log line, also one that never got a finished answer
 * (http/request-log.ts): the operator's log is the record of what reached the server.
 */
const REQUEST_TIMEOUT_MS = 600;

type Line = Record<string, unknown> & { msg: string; req?: { url: string }; res?: { statusCode: number } };

describe("one log line per request, also for requests without a finished answer", () => {
  let server: LiveServer;
  let instance: CreatedInstance;
  beforeAll(async () => {
    server = await startLiveServer({ requestTimeoutMs: REQUEST_TIMEOUT_MS, refusedBodyTimeoutMs: 100, authFailuresPerMinute: 0 });
    instance = await createInstance(server.url, "log-lines");
  });
  afterAll(async () => server?.close());

  const lines = (): Line[] =>
    server.logs
      .flatMap((chunk) => chunk.split("\n"))
      .filter((line) => line.startsWith("{"))
      .map((line) => JSON.parse(line) as Line);

  /** The lines written since `from` once one of them is `msg` (the server writes it when the connection closes). */
  async function linesAfter(from: number, msg: string): Promise<Line[]> {
    const deadline = Date.now() + 5_000;
    for (;;) {
      const since = lines().slice(from);
      if (since.some((line) => line.msg === msg) || Date.now() > deadline) return since;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }

  function open(): Promise<Socket> {
    const { hostname, port } = new URL(server.url);
    return new Promise((resolve, reject) => {
      const socket = connect({ host: hostname, port: Number(port) }, () => resolve(socket));
      socket.on("error", reject);
      // Read (and drop) the answer, so that the server's close reaches this side as "close".
      socket.resume();
    });
  }

  const head = (length: number): string =>
    `POST /v1/events/batch HTTP/1.1\r\nhost: 127.0.0.1\r\ncontent-type: application/json\r\nauthorization: Bearer ${instance.apiKey}\r\ncontent-length: ${length}\r\n\r\n`;

  it("writes 'request refused' with the 408 for a body still arriving at the deadline, and no other line for it", async () => {
    const from = lines().length;
    const socket = await open();
    socket.write(head(1_000));
    socket.write("{");
    await new Promise((resolve) => socket.on("close", resolve));
    const since = await linesAfter(from, "request refused");
    expect(since).toHaveLength(1);
    expect(since[0]).toMatchObject({ msg: "request refused", req: { method: "POST", url: "/v1/events/batch" }, res: { statusCode: 408 } });
  });

  it("writes 'request aborted' for a client that goes away mid-body, and no other line for it", async () => {
    const from = lines().length;
    const socket = await open();
    // "Expect: 100-continue": the server's "100 Continue" says it has dispatched the request, so
    // hanging up after it aborts a request (before it, there would be only a connection to close).
    const continued = new Promise((resolve) => socket.on("data", (chunk: Buffer) => chunk.toString("latin1").includes("100 Continue") && resolve(null)));
    socket.write(head(1_000).replace("\r\n\r\n", "\r\nexpect: 100-continue\r\n\r\n"));
    await continued;
    socket.write('{"events":[');
    socket.destroy();
    const since = await linesAfter(from, "request aborted");
    expect(since).toHaveLength(1);
    expect(since[0]).toMatchObject({ msg: "request aborted", req: { method: "POST", url: "/v1/events/batch" } });
    expect(since[0]?.res).toBeUndefined();
  });

  it("writes 'request refused' for a head the parser refuses before any route sees it", async () => {
    const from = lines().length;
    const socket = await open();
    socket.write("GET /healthz HTTP/1.1\r\nhost: 127.0.0.1\r\nbad header\u0001: x\r\n\r\n");
    await new Promise((resolve) => socket.on("close", resolve));
    const since = await linesAfter(from, "request refused");
    expect(since).toHaveLength(1);
    expect(since[0]).toMatchObject({ msg: "request refused", res: { statusCode: 400 } });
    expect(typeof since[0]?.["reason"]).toBe("string");
  });

  it("writes one line each for answered refusals: 404, 400 for bad JSON, 413", async () => {
    const from = lines().length;
    const authorization = `Bearer ${instance.apiKey}`;
    await (await fetch(`${server.url}/nowhere`)).arrayBuffer();
    await (await fetch(`${server.url}/v1/events/batch`, { method: "POST", headers: { authorization, "content-type": "application/json" }, body: "{nope" })).arrayBuffer();
    const big = JSON.stringify({ events: [makeEvent(instance.instanceId, { model: "m".repeat(2 * 1024 * 1024) })] });
    await (await fetch(`${server.url}/v1/events/batch`, { method: "POST", headers: { authorization, "content-type": "application/json" }, body: big })).arrayBuffer();
    const deadline = Date.now() + 5_000;
    while (lines().length - from < 3 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
    const since = lines().slice(from);
    expect(since.map((line) => [line.msg, line.res?.statusCode, line.req?.url])).toEqual([
      ["request completed", 404, "/nowhere"],
      ["request completed", 400, "/v1/events/batch"],
      ["request completed", 413, "/v1/events/batch"],
    ]);
  });
});
