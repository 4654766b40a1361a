import { randomUUID } from "node:crypto";
import { request as httpRequest } from "node:http";
import { Readable } from "node:stream";
import { createGzip, gzipSync } from "node:zlib";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { injectJson, makeEvent, seedInstance, startTestServer, type TestServer } from "./test-server.js";

const PATH = "/v1/events/batch";

describe("POST /v1/events/batch", () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer({ config: { bodyLimitBytes: 256 * 1024 }, inProcess: true });
  });
  afterAll(async () => server.close());

  /** The route in-process; a gzip body is bytes here too, inflated by the same hook a socket's would be. */
  const post = (key: string, body: unknown, headers: Record<string, string> = {}) => injectJson(server.app, PATH, key, body, headers);

  it("accepts valid events, answers duplicates and rejects a bad event with the validator's message, in input order", async () => {
    const first = makeEvent(server.instanceId);
    const bad = makeEvent(server.instanceId, { actual_input_tokens: -5 });
    const stored = await post(server.apiKey, { events: [first] });
    expect(stored.status).toBe(200);
    expect(stored.body).toEqual({ accepted: 1, duplicates: 0, rejected: 0, results: [{ index: 0, event_id: first["event_id"], status: "accepted" }] });

    const second = makeEvent(server.instanceId);
    const mixed = await post(server.apiKey, { events: [first, bad, second, second] });
    expect(mixed.status).toBe(200);
    expect(mixed.body).toEqual({
      accepted: 1,
      duplicates: 2,
      rejected: 1,
      results: [
        { index: 0, event_id: first["event_id"], status: "duplicate" },
        {
          index: 1,
          event_id: bad["event_id"],
          status: "rejected",
          code: "invalid_event",
          message: "actual_input_tokens: must be an integer >= 0",
        },
        { index: 2, event_id: second["event_id"], status: "accepted" },
        { index: 3, event_id: second["event_id"], status: "duplicate" },
      ],
    });
    expect((await server.storage.usage(server.instanceId)).events).toBe(2);
  });

  it("rejects another schema_version as unsupported_schema_version", async () => {
    const event = makeEvent(server.instanceId, { schema_version: "2.0" });
    const answer = await post(server.apiKey, { events: [event] });
    expect(answer.status).toBe(200);
    expect(answer.body.results[0]).toMatchObject({ status: "rejected", code: "unsupported_schema_version" });
    expect(answer.body.results[0].message).toContain("schema_version");
  });

  it("rejects impossible timestamps and models holding NUL, lone surrogates or bidirectional overrides, each with its reason, and stores none", async () => {
    const before = (await server.storage.usage(server.instanceId)).events;
    const cases: [Record<string, unknown>, string][] = [
      [{ timestamp: "2026-02-30T10:00:00.000Z" }, "timestamp: must be a real calendar date and time"],
      [{ timestamp: "0001-01-01T00:00:00.000Z" }, "timestamp: must not be before 2000-01-01"],
      [{ model: "claude\u0000sonnet" }, "model: must not hold control characters, lone surrogates or bidirectional controls"],
      [{ model: "claude-\ud800" }, "model: must not hold control characters, lone surrogates or bidirectional controls"],
      [{ model: "claude-\u202ednnos" }, "model: must not hold control characters, lone surrogates or bidirectional controls"],
    ];
    const answer = await post(server.apiKey, { events: cases.map(([fields]) => makeEvent(server.instanceId, fields)) });
    expect(answer.status).toBe(200);
    expect(answer.body.rejected).toBe(cases.length);
    expect(answer.body.results.map((result: { code: string; message: string }) => [result.code, result.message])).toEqual(
      cases.map(([, message]) => ["invalid_event", message]),
    );
    expect((await server.storage.usage(server.instanceId)).events).toBe(before);
  });

  it("echoes a rejected event's id as sent up to 64 characters, and null for a longer one (no amplified answers)", async () => {
    const shortId = "not-a-uuid";
    const longId = "x".repeat(10_000);
    const answer = await post(server.apiKey, { events: [makeEvent(server.instanceId, { event_id: shortId }), makeEvent(server.instanceId, { event_id: longId })] });
    expect(answer.status).toBe(200);
    expect(answer.body.results.map((result: { event_id: string | null; status: string }) => [result.event_id, result.status])).toEqual([
      [shortId, "rejected"],
      [null, "rejected"],
    ]);
    expect(JSON.stringify(answer.body).length).toBeLessThan(1_000);
  });

  it("ignores unknown fields in the envelope and in events", async () => {
    const event = { ...makeEvent(server.instanceId), future_field: { nested: true } };
    const answer = await post(server.apiKey, { events: [event], extra: 1 });
    expect(answer.status).toBe(200);
    expect(answer.body.accepted).toBe(1);
  });

  it("answers 400 batch_too_large for 101 events and stores none", async () => {
    const before = (await server.storage.usage(server.instanceId)).events;
    const events = Array.from({ length: 101 }, () => makeEvent(server.instanceId));
    const answer = await post(server.apiKey, { events });
    expect(answer.status).toBe(400);
    expect(answer.body.error.code).toBe("batch_too_large");
    expect((await server.storage.usage(server.instanceId)).events).toBe(before);
  });

  it("accepts exactly 100 events", async () => {
    const events = Array.from({ length: 100 }, () => makeEvent(server.instanceId));
    const answer = await post(server.apiKey, { events });
    expect(answer.status).toBe(200);
    expect(answer.body.accepted).toBe(100);
  });

  it("answers 400 empty_batch for 0 events", async () => {
    const answer = await post(server.apiKey, { events: [] });
    expect(answer.status).toBe(400);
    expect(answer.body.error.code).toBe("empty_batch");
  });

  it.each([
    ["no events array", { items: [] }],
    ["events not an array", { events: "many" }],
    ["a body that is an array", [1, 2]],
    ["a body that is a string", "\"text\""],
  ])("answers 400 invalid_request for %s", async (_name, body) => {
    const answer = await post(server.apiKey, typeof body === "string" ? body : body);
    expect(answer.status).toBe(400);
    expect(answer.body.error.code).toBe("invalid_request");
    expect(typeof answer.body.error.message).toBe("string");
  });

  it("answers 400 invalid_json for a body that is not JSON", async () => {
    const answer = await post(server.apiKey, "{not json");
    expect(answer.status).toBe(400);
    expect(answer.body.error.code).toBe("invalid_json");
  });

  it("answers 400 invalid_json for an empty body", async () => {
    const answer = await post(server.apiKey, "");
    expect(answer.status).toBe(400);
    expect(answer.body.error.code).toBe("invalid_json");
  });

  it.each(["text/plain", "application/x-www-form-urlencoded", "application/xml"])(
    "answers 415 unsupported_media_type for Content-Type %s",
    async (type) => {
      const answer = await post(server.apiKey, JSON.stringify({ events: [makeEvent(server.instanceId)] }), {
        "content-type": type,
      });
      expect(answer.status).toBe(415);
      expect(answer.body.error.code).toBe("unsupported_media_type");
    },
  );

  it("accepts a gzip-encoded body", async () => {
    const event = makeEvent(server.instanceId);
    const body = gzipSync(Buffer.from(JSON.stringify({ events: [event] })));
    const answer = await post(server.apiKey, new Uint8Array(body), { "content-encoding": "gzip" });
    expect(answer.status).toBe(200);
    expect(answer.body.results[0]).toEqual({ index: 0, event_id: event["event_id"], status: "accepted" });
  });

  it("answers 413 for a gzip bomb without inflating it whole", async () => {
    // 64 MiB of spaces compresses to ~64 KiB; the limit here is 256 KiB after decompression.
    const bomb = gzipSync(Buffer.concat([Buffer.from('{"events":['), Buffer.alloc(64 * 1024 * 1024, 0x20), Buffer.from("]}")]));
    expect(bomb.length).toBeLessThan(64 * 1024 * 1024 / 100);
    const started = performance.now();
    const answer = await post(server.apiKey, new Uint8Array(bomb), { "content-encoding": "gzip" });
    expect(answer.status).toBe(413);
    expect(answer.body.error.code).toBe("payload_too_large");
    expect(performance.now() - started).toBeLessThan(5000);
  });

  it("answers 413 for a plain body over the limit", async () => {
    const answer = await post(server.apiKey, JSON.stringify({ events: [makeEvent(server.instanceId)], pad: "x".repeat(300 * 1024) }));
    expect(answer.status).toBe(413);
    expect(answer.body.error.code).toBe("payload_too_large");
  });

  it("answers 400 for a body that claims gzip but is not", async () => {
    const answer = await post(server.apiKey, JSON.stringify({ events: [] }), { "content-encoding": "gzip" });
    expect(answer.status).toBe(400);
    expect(answer.body.error.code).toBe("invalid_request");
  });

  it("answers 415 unsupported_content_encoding for br", async () => {
    const answer = await post(server.apiKey, JSON.stringify({ events: [makeEvent(server.instanceId)] }), {
      "content-encoding": "br",
    });
    expect(answer.status).toBe(415);
    expect(answer.body.error.code).toBe("unsupported_content_encoding");
  });

  it("answers 403 instance_mismatch for another instance's events and stores nothing", async () => {
    const other = await seedInstance(server.storage, "other");
    const before = (await server.storage.usage(server.instanceId)).events;
    const events = [makeEvent(server.instanceId), makeEvent(other.instanceId)];
    const answer = await post(server.apiKey, { events });
    expect(answer.status).toBe(403);
    expect(answer.body.error.code).toBe("instance_mismatch");
    expect((await server.storage.usage(server.instanceId)).events).toBe(before);
    expect((await server.storage.usage(other.instanceId)).events).toBe(0);
  });

  it("treats the key's instance id case-insensitively", async () => {
    const event = makeEvent(server.instanceId.toUpperCase());
    const answer = await post(server.apiKey, { events: [event] });
    expect(answer.status).toBe(200);
    expect(answer.body.accepted).toBe(1);
  });

  it("rejects an event with a malformed instance_id per event, not for the whole batch", async () => {
    const good = makeEvent(server.instanceId);
    const answer = await post(server.apiKey, { events: [good, makeEvent(server.instanceId, { instance_id: 42 })] });
    expect(answer.status).toBe(200);
    expect(answer.body.accepted).toBe(1);
    expect(answer.body.results[1]).toMatchObject({ status: "rejected", code: "invalid_event" });
  });

  it("rejects a non-object event as a malformed envelope", async () => {
    const answer = await post(server.apiKey, { events: [makeEvent(server.instanceId), "event"] });
    expect(answer.status).toBe(400);
    expect(answer.body.error.code).toBe("invalid_request");
  });

  it("gives event_id null in the result of an event without a readable id", async () => {
    const event = makeEvent(server.instanceId, { event_id: randomUUID() });
    delete event["event_id"];
    const answer = await post(server.apiKey, { events: [event] });
    expect(answer.body.results[0]).toEqual({
      index: 0,
      event_id: null,
      status: "rejected",
      code: "invalid_event",
      message: "event_id: is required",
    });
  });
});

// On a socket: a body that never ends is streamed over a connection; in-process it would be a buffer.
describe("POST /v1/events/batch over a connection", () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer({ config: { bodyLimitBytes: 256 * 1024 } });
  });
  afterAll(async () => server.close());

  it("answers 413 to an endless gzip stream: it stops inflating at the limit", async () => {
    // A body that never ends: inflating it whole would never answer.
    const status = await new Promise<number>((resolve, reject) => {
      const spaces = Buffer.alloc(64 * 1024, 0x20);
      let first = true;
      const source = new Readable({
        read() {
          this.push(first ? Buffer.concat([Buffer.from('{"events":['), spaces]) : spaces);
          first = false;
        },
      });
      const target = new URL(`${server.url}${PATH}`);
      const req = httpRequest(
        {
          host: target.hostname,
          port: target.port,
          path: target.pathname,
          method: "POST",
          headers: { "content-type": "application/json", "content-encoding": "gzip", authorization: `Bearer ${server.apiKey}` },
        },
        (res) => {
          resolve(res.statusCode ?? 0);
          res.resume();
          source.destroy();
          req.destroy();
        },
      );
      req.on("error", (error) => {
        if ((error as NodeJS.ErrnoException).code !== "ECONNRESET" && (error as NodeJS.ErrnoException).code !== "EPIPE") reject(error);
      });
      source.pipe(createGzip()).pipe(req);
    });
    expect(status).toBe(413);
  });
});
