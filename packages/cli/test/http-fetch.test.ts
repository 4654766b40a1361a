import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { httpFetch } from "../src/telemetry/http-fetch.js";

/** What the loopback server saw of each request. */
interface Seen {
  method: string | undefined;
  url: string | undefined;
  headers: IncomingMessage["headers"];
  body: string;
}

describe("httpFetch: the SDK's fetch subset over node:http", () => {
  let server: Server;
  let base: string;
  const seen: Seen[] = [];
  beforeAll(async () => {
    server = createServer((request, response) => {
      const chunks: Buffer[] = [];
      request.on("data", (chunk: Buffer) => chunks.push(chunk));
      request.on("end", () => {
        seen.push({ method: request.method, url: request.url, headers: request.headers, body: Buffer.concat(chunks).toString("utf8") });
        if (request.url === "/never") return; // holds the request open: the client's signal must end it
        response.writeHead(request.url === "/busy" ? 429 : 200, { "content-type": "application/json", "retry-after": "7", "x-two": ["a", "b"] });
        response.end(JSON.stringify({ ok: true, echo: "é✓" }));
      });
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  it("sends the method, headers and body, and gives back the status, headers and text", async () => {
    const body = JSON.stringify({ events: [{ model: "模型" }] });
    const response = await httpFetch(`${base}/v1/events/batch`, {
      method: "POST",
      headers: { authorization: "Bearer k", "content-type": "application/json" },
      body,
      signal: new AbortController().signal,
    });
    expect(response.status).toBe(200);
    expect(response.headers.get("Retry-After")).toBe("7");
    expect(response.headers.get("x-two")).toBe("a, b");
    expect(response.headers.get("x-missing")).toBeNull();
    expect(JSON.parse(await response.text())).toEqual({ ok: true, echo: "é✓" });
    const last = seen.at(-1) as Seen;
    expect(last).toMatchObject({ method: "POST", url: "/v1/events/batch", body });
    expect(last.headers).toMatchObject({ authorization: "Bearer k", "content-type": "application/json", "content-length": String(Buffer.byteLength(body)) });
  });

  it("sends a binary body (the SDK's gzip) byte for byte, and answers a non-2xx status as a response", async () => {
    const bytes = new Uint8Array([31, 139, 8, 0, 255]);
    const response = await httpFetch(`${base}/busy`, { method: "POST", headers: {}, body: bytes, signal: new AbortController().signal });
    expect(response.status).toBe(429);
    expect((seen.at(-1) as Seen).headers["content-length"]).toBe("5");
  });

  it("rejects when the signal aborts a request the server holds, with the signal's reason", async () => {
    const controller = new AbortController();
    const pending = httpFetch(`${base}/never`, { method: "POST", headers: {}, body: "{}", signal: controller.signal });
    await expect.poll(() => seen.some((request) => request.url === "/never")).toBe(true);
    const reason = new Error("timed out");
    controller.abort(reason);
    await expect(pending).rejects.toBe(reason);
  });

  it("rejects with the signal's reason whatever it is, as undici does", async () => {
    const controller = new AbortController();
    const pending = httpFetch(`${base}/never`, { method: "POST", headers: {}, body: "{}", signal: controller.signal });
    controller.abort("not an Error");
    await expect(pending).rejects.toBe("not an Error");
  });

  it("fails as undici does when the server closes in the middle of the body", async () => {
    const cut = createServer((_request, response) => {
      response.writeHead(200, { "content-length": "100" });
      response.write("{\"partial\":");
      setImmediate(() => response.socket?.destroy());
    });
    await new Promise<void>((resolve) => cut.listen(0, "127.0.0.1", resolve));
    try {
      const failure = httpFetch(`http://127.0.0.1:${(cut.address() as AddressInfo).port}/`, { method: "POST", headers: {}, body: "{}", signal: new AbortController().signal });
      await expect(failure).rejects.toThrow("fetch failed");
      await expect(failure).rejects.toMatchObject({ cause: { code: "ECONNRESET" } });
    } finally {
      await new Promise((resolve) => cut.close(resolve));
    }
  });

  it("rejects at once on a signal aborted before the call", async () => {
    const controller = new AbortController();
    controller.abort();
    await expect(httpFetch(`${base}/`, { method: "POST", headers: {}, body: "", signal: controller.signal })).rejects.toMatchObject({ name: "AbortError" });
  });

  it("fails as undici's fetch fails: 'fetch failed' with the system error as the cause", async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, "127.0.0.1", resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise((resolve) => closed.close(resolve));
    const failure = httpFetch(`http://127.0.0.1:${port}/`, { method: "POST", headers: {}, body: "{}", signal: new AbortController().signal });
    await expect(failure).rejects.toThrow("fetch failed");
    await expect(failure).rejects.toMatchObject({ cause: { code: "ECONNREFUSED" } });
  });
});
