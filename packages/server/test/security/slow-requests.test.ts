// On a socket: bodies trickled over time, request timeouts and connections closed after a refusal exist only on a connection.
import { connect } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { LIVE_ADMIN_TOKEN, createInstance, startLiveServer, type CreatedInstance, type LiveServer } from "../e2e/live-server.js";
import { makeEvent } from "../http/test-server.js";

/**
 * Bodies trickled a byte at a time (issue 12: 20 such connections held 240 s, the unauthenticated
 * ones after their 401) against a real loopback server, with the deadlines shortened so that no
 * test waits a minute: a request must arrive whole within REQUEST_TIMEOUT_MS (else 408 and the
 * connection closed), and after an early refusal the rest of the body gets REFUSED_BODY_TIMEOUT_MS.
 */
const REQUEST_TIMEOUT_MS = 800;
const REFUSED_BODY_TIMEOUT_MS = 200;

/** What a raw socket saw: the answer's head and body, whether it ended in a reset, and when it closed. */
interface Seen {
  status: number;
  headers: Record<string, string>;
  body: string;
  answeredAfterMs: number;
  /** When the server closed its sending side (FIN), or -1. */
  endedAfterMs: number;
  closedAfterMs: number;
  reset: boolean;
  bytesSent: number;
}

/**
 * Sends `head`, then `body` one byte every `everyMs` (or at once when everyMs is 0), until the
 * server closes the connection or `giveUpMs` pass. A hostile client (`hostile`, the default)
 * ignores the server's FIN and goes on sending; a polite one closes when the server does.
 */
function send(baseUrl: string, head: string, body: Buffer, everyMs: number, { hostile = true, giveUpMs = 10_000 } = {}): Promise<Seen> {
  const { hostname, port } = new URL(baseUrl);
  return new Promise((resolve, reject) => {
    const startedAt = performance.now();
    const socket = connect({ host: hostname, port: Number(port), allowHalfOpen: hostile });
    const chunks: Buffer[] = [];
    let answeredAfterMs = -1;
    let endedAfterMs = -1;
    socket.on("end", () => (endedAfterMs = performance.now() - startedAt));
    let reset = false;
    let sent = 0;
    const trickle: { timer?: NodeJS.Timeout } = {};
    const giveUp = setTimeout(() => {
      socket.destroy();
      reject(new Error(`connection still open after ${giveUpMs} ms`));
    }, giveUpMs);
    socket.on("data", (chunk: Buffer) => {
      if (answeredAfterMs < 0) answeredAfterMs = performance.now() - startedAt;
      chunks.push(chunk);
    });
    socket.on("error", (error: NodeJS.ErrnoException) => {
      if (error.code === "ECONNRESET" || error.code === "EPIPE") reset = true;
      else reject(error);
    });
    socket.on("close", () => {
      clearTimeout(giveUp);
      clearInterval(trickle.timer);
      const raw = Buffer.concat(chunks).toString("utf8");
      const split = raw.indexOf("\r\n\r\n");
      const [statusLine, ...lines] = raw.slice(0, Math.max(0, split)).split("\r\n");
      const headers: Record<string, string> = {};
      for (const line of lines) headers[line.slice(0, line.indexOf(":")).toLowerCase()] = line.slice(line.indexOf(":") + 1).trim();
      resolve({
        status: Number(/^HTTP\/1\.1 (\d{3})/.exec(statusLine ?? "")?.[1] ?? 0),
        headers,
        body: raw.slice(split + 4),
        answeredAfterMs,
        endedAfterMs,
        closedAfterMs: performance.now() - startedAt,
        reset,
        bytesSent: sent,
      });
    });
    socket.write(head);
    if (everyMs === 0) {
      socket.write(body);
      sent = body.length;
      return;
    }
    trickle.timer = setInterval(() => {
      if (sent >= body.length || socket.destroyed || !socket.writable) return;
      socket.write(body.subarray(sent, sent + 1));
      sent++;
    }, everyMs);
  });
}

function head(path: string, headers: Record<string, string>, length: number): string {
  const all: Record<string, string> = { host: "127.0.0.1", "content-type": "application/json", "content-length": String(length), ...headers };
  return `POST ${path} HTTP/1.1\r\n${Object.entries(all).map(([name, value]) => `${name}: ${value}\r\n`).join("")}\r\n`;
}

describe("slow and refused request bodies on a loopback server", () => {
  let server: LiveServer;
  let instance: CreatedInstance;
  let body: Buffer;
  beforeAll(async () => {
    server = await startLiveServer({ requestTimeoutMs: REQUEST_TIMEOUT_MS, refusedBodyTimeoutMs: REFUSED_BODY_TIMEOUT_MS, authFailuresPerMinute: 0 });
    instance = await createInstance(server.url, "slow");
    body = Buffer.from(JSON.stringify({ events: [makeEvent(instance.instanceId)] }));
  });
  afterAll(async () => server?.close());

  it("answers a body still trickling in at the request deadline 408 and closes the connection", async () => {
    const seen = await send(server.url, head("/v1/events/batch", { authorization: `Bearer ${instance.apiKey}` }, body.length), body, 50);
    expect(seen.status).toBe(408);
    expect(JSON.parse(seen.body)).toEqual({ error: { code: "invalid_request", message: "the request did not arrive in time" } });
    expect(seen.headers["connection"]).toBe("close");
    // Node checks its connections every tenth of the deadline: cut between the deadline and a tenth after (plus scheduling).
    expect(seen.closedAfterMs).toBeGreaterThanOrEqual(REQUEST_TIMEOUT_MS - 50);
    expect(seen.closedAfterMs).toBeLessThan(REQUEST_TIMEOUT_MS * 1.1 + 500);
    expect(seen.bytesSent).toBeLessThan(body.length);
  });

  it("answers a request head trickled in (slowloris) 408 at the same deadline", async () => {
    const slowHead = Buffer.from(`x-padding: ${"a".repeat(200)}\r\n\r\n`);
    const seen = await send(server.url, "GET /healthz HTTP/1.1\r\nhost: 127.0.0.1\r\n", slowHead, 20);
    expect(seen.status).toBe(408);
    expect(seen.closedAfterMs).toBeGreaterThanOrEqual(REQUEST_TIMEOUT_MS - 50);
    expect(seen.closedAfterMs).toBeLessThan(REQUEST_TIMEOUT_MS * 1.1 + 500);
  });

  it.each([
    ["without a key", "/v1/events/batch", {}],
    ["with a wrong key", "/v1/events/batch", { authorization: "Bearer msk_wrong" }],
    ["on the admin API without the token", "/v1/admin/instances", {}],
  ])("answers a trickled request %s 401 at once, closes its side, and drops a client that sends on past the refused-body bound", async (_what, path, headers) => {
    const seen = await send(server.url, head(path, headers, body.length), body, 20);
    expect(seen.status).toBe(401);
    expect(seen.headers["connection"]).toBe("close");
    expect(seen.answeredAfterMs).toBeLessThan(REFUSED_BODY_TIMEOUT_MS);
    expect(seen.endedAfterMs).toBeGreaterThanOrEqual(0);
    expect(seen.endedAfterMs).toBeLessThan(REFUSED_BODY_TIMEOUT_MS);
    // The rest of the body was read (and dropped) for the bound, then the connection went.
    expect(seen.closedAfterMs).toBeGreaterThanOrEqual(REFUSED_BODY_TIMEOUT_MS - 20);
    expect(seen.closedAfterMs).toBeLessThan(REQUEST_TIMEOUT_MS);
  });

  it("closes at once when a refused client closes with the server (a polite client)", async () => {
    const seen = await send(server.url, head("/v1/events/batch", {}, body.length), body, 20, { hostile: false });
    expect(seen.status).toBe(401);
    expect(seen.closedAfterMs).toBeLessThan(REFUSED_BODY_TIMEOUT_MS);
  });

  it("answers a declared body over the limit 413 at once and closes within the refused-body bound", async () => {
    const seen = await send(server.url, head("/v1/events/batch", { authorization: `Bearer ${instance.apiKey}` }, 2 * 1024 * 1024), body, 50);
    expect(seen.status).toBe(413);
    expect(seen.closedAfterMs).toBeLessThan(REQUEST_TIMEOUT_MS);
  });

  it("holds none of 20 trickling connections, with and without a key, past the deadline", async () => {
    const all = await Promise.all(
      Array.from({ length: 20 }, (_, index) =>
        send(server.url, head("/v1/events/batch", index % 2 === 0 ? { authorization: `Bearer ${instance.apiKey}` } : {}, body.length), body, 100),
      ),
    );
    expect(all.map((seen) => seen.status).sort()).toEqual([...Array(10).fill(401), ...Array(10).fill(408)]);
    for (const seen of all) expect(seen.closedAfterMs).toBeLessThan(REQUEST_TIMEOUT_MS * 1.1 + 1_000);
  });

  it("lets a client that sends its whole refused body at once read the 401 (no reset before the answer)", async () => {
    const big = Buffer.alloc(600_000, 0x20);
    const seen = await send(server.url, head("/v1/events/batch", { authorization: "Bearer msk_wrong" }, big.length), big, 0, { hostile: false });
    expect(seen.status).toBe(401);
    expect(JSON.parse(seen.body).error.code).toBe("unauthorized");
    expect(seen.reset).toBe(false);
  });

  it("closes the connection after a 401 to a request that arrived whole, instead of keeping it alive", async () => {
    const request = "GET /v1/usage/top?from=2026-12-01T00:00:00Z&to=2026-12-02T00:00:00Z HTTP/1.1\r\nhost: 127.0.0.1\r\nauthorization: Bearer msk_wrong\r\n\r\n";
    const seen = await send(server.url, request, Buffer.alloc(0), 0, { hostile: false, giveUpMs: 5_000 });
    expect(seen.status).toBe(401);
    expect(seen.headers["connection"]).toBe("close");
    // The server ended the connection itself: a kept-alive one would stay open until giveUpMs and fail the test.
    expect(seen.endedAfterMs).toBeGreaterThanOrEqual(0);
  });

  it("keeps answering requests that arrive in time, on a kept-alive connection too", async () => {
    for (let i = 0; i < 3; i++) {
      const answer = await fetch(`${server.url}/v1/events/batch`, {
        method: "POST",
        headers: { authorization: `Bearer ${instance.apiKey}`, "content-type": "application/json" },
        body: JSON.stringify({ events: [makeEvent(instance.instanceId)] }),
      });
      expect(answer.status).toBe(200);
      expect(answer.headers.get("connection")).not.toBe("close");
      await answer.arrayBuffer();
    }
    const admin = await fetch(`${server.url}/v1/admin/instances`, { headers: { authorization: `Bearer ${LIVE_ADMIN_TOKEN}` } });
    expect(admin.status).toBe(200);
  });
});
