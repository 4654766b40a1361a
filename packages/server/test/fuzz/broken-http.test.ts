import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createInstance, startLiveServer, type CreatedInstance, type LiveServer } from "../e2e/live-server.js";
import { rawRequest, requestHead, type RawAnswer } from "./raw-http.js";

const PATHS = ["/v1/events/batch", "/v1/predictions/batch"];

/** Requests Node's HTTP parser refuses before any route runs: they too get the API's error body. */
describe("requests broken at the HTTP level, over a raw loopback socket", () => {
  let server: LiveServer;
  let instance: CreatedInstance;
  let host: string;
  beforeAll(async () => {
    server = await startLiveServer();
    instance = await createInstance(server.url, "broken-http");
    host = new URL(server.url).host;
  });
  afterAll(async () => server?.close());

  const body = Buffer.from('{"events":[]}');
  const expectApiError = (answer: RawAnswer, status = 400) => {
    expect(answer.status).toBe(status);
    const parsed = JSON.parse(answer.body) as { error: { code: string; message: string } };
    expect(parsed.error.code).toBe("invalid_request");
    expect(parsed.error.message.length).toBeGreaterThan(0);
    expect(answer.headers["api-version"]).toBe("1");
  };

  // Counterexamples the fuzzing found: each got Fastify's {"error":"Bad Request",...} without a code.
  it.each([
    ["a NUL byte in Content-Type", { "content-type": "\u0000" }],
    ["a NUL byte in Authorization", { "content-type": "application/json", authorization: "Bearer \u0000" }],
    ["a Content-Length that is not a number", { "content-type": "application/json", "content-length": "abc" }],
    ["Content-Length beside Transfer-Encoding: chunked", { "content-type": "application/json", "transfer-encoding": "chunked" }],
    ["a chunk size that is not hex", { "content-type": "application/json", "transfer-encoding": "chunked", "content-length": "" }],
  ] as [string, Record<string, string>][])("%s: 400 with code and message", async (_name, headers) => {
    for (const path of PATHS) {
      const chunked = headers["transfer-encoding"] === "chunked";
      const payload = chunked && headers["content-length"] === "" ? Buffer.from("zz\r\nabc\r\n0\r\n\r\n") : body;
      const all: Record<string, string> = { authorization: `Bearer ${instance.apiKey}`, ...headers };
      // An empty Content-Length means "send none": chunked alone, with a broken chunk.
      if (all["content-length"] === "") delete all["content-length"];
      expectApiError(await rawRequest(server.url, requestHead(path, host, all, payload.length), payload));
    }
  });

  it("headers larger than the parser allows: 431 with code and message", async () => {
    const head = requestHead(PATHS[0] as string, host, { "content-type": "application/json", "x-padding": "p".repeat(40_000) }, body.length);
    expectApiError(await rawRequest(server.url, head, body), 431);
  });

  it("property: any byte in a header value gets an answer below 500 with the error body", async () => {
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ minLength: 1, maxLength: 12 }), fc.constantFrom(...PATHS), async (bytes, path) => {
        const value = Buffer.from(bytes).toString("latin1");
        const head = requestHead(path, host, { authorization: `Bearer ${instance.apiKey}`, "content-type": "application/json", "x-fuzz": value }, body.length);
        const answer = await rawRequest(server.url, head, body);
        expect(answer.status).toBeLessThan(500);
        if (answer.status >= 400) {
          const parsed = JSON.parse(answer.body) as { error: { code: unknown; message: unknown } };
          expect(typeof parsed.error.code).toBe("string");
          expect(typeof parsed.error.message).toBe("string");
        }
      }),
      { numRuns: 200 },
    );
    expect((await fetch(`${server.url}/healthz`)).status).toBe(200);
  });
});
