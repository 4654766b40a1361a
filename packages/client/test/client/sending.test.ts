import { describe, expect, it } from "vitest";
import { TelemetryClient, TelemetryHttpError, type TelemetryClientOptions } from "../../src/index.js";
import { API_KEY, INSTANCE_ID, failOnUnhandledRejection, fields } from "../helpers/fixtures.js";
import { loopbackClients } from "../helpers/client-setup.js";
import type { LoopbackServer } from "../helpers/loopback-server.js";

failOnUnhandledRejection();

const setupClient = loopbackClients();
let server: LoopbackServer;

async function setup(options: Partial<TelemetryClientOptions> = {}) {
  const made = await setupClient(options);
  server = made.server;
  return made;
}

describe("sending", () => {
  it("POSTs batches of <= batchSize to /v1/events/batch with the bearer key and JSON", async () => {
    const { client, track, sink } = await setup({ batchSize: 2 });
    const ids = track(5);
    await client.flush();
    expect(server.batches()).toEqual([ids.slice(0, 2), ids.slice(2, 4), ids.slice(4)]);
    const first = server.requests[0]!;
    expect(first.method).toBe("POST");
    expect(first.path).toBe("/v1/events/batch");
    expect(first.headers["authorization"]).toBe(`Bearer ${API_KEY}`);
    expect(first.headers["content-type"]).toBe("application/json");
    expect(client.getStats()).toMatchObject({ sent: 5, queued: 0, dropped: 0 });
    expect(sink.errors).toEqual([]);
  });

  it("counts accepted and duplicate as delivered, drops and reports rejected with the server's code", async () => {
    const { client, track, sink } = await setup();
    const ids = track(3);
    server.script.push({ kind: "results", statuses: ["accepted", "duplicate", "rejected"] });
    await client.flush();
    expect(client.getStats()).toMatchObject({ sent: 2, duplicates: 1, rejected: 1, dropped: 1, queued: 0 });
    expect(sink.errors).toHaveLength(1);
    expect(sink.errors[0]?.code).toBe("event_rejected");
    expect(sink.errors[0]?.message).toContain("invalid_event");
    expect(sink.errors[0]?.message).toContain(ids[2]);
  });

  it("drops and reports an invalid event at track() (the protocol's validator)", async () => {
    const { client, sink } = await setup();
    client.track(client.eventBuilder.build(fields({ context_utilization_final: 1.5 })));
    client.track({ nonsense: true } as never);
    client.track(null as never);
    expect(client.getStats()).toMatchObject({ queued: 0, invalid: 3, dropped: 3 });
    expect(sink.errors.map((e) => e.code)).toEqual(["invalid_event", "invalid_event", "invalid_event"]);
    expect(sink.errors[0]?.message).toContain("context_utilization_final");
    await client.flush();
    expect(server.requests).toHaveLength(0);
  });

  it("retries network-level 503 with exponential backoff and jitter, then delivers", async () => {
    const { client, track, time } = await setup();
    track(1);
    server.script.push({ kind: "status", status: 503 }, { kind: "status", status: 502 }, { kind: "status", status: 504 });
    await client.flush();
    // random() = 0.5: half the nominal delay plus a quarter.
    expect(time.sleeps).toEqual([750, 1500, 3000]);
    expect(server.requests.map((r) => r.at - time.start)).toEqual([0, 750, 2250, 5250]);
    expect(client.getStats()).toMatchObject({ sent: 1, retried: 3 });
  });

  it("honours Retry-After in seconds, without adding backoff", async () => {
    const { client, track, time } = await setup();
    track(1);
    server.script.push({ kind: "status", status: 429, headers: { "retry-after": "7" } });
    await client.flush();
    expect(time.sleeps).toEqual([7000]);
    expect(server.requests.map((r) => r.at - time.start)).toEqual([0, 7000]);
    expect(client.getStats().sent).toBe(1);
  });

  it("honours Retry-After as an HTTP date", async () => {
    const { client, track, time } = await setup();
    track(1);
    server.script.push({ kind: "status", status: 429, headers: { "retry-after": new Date(time.start + 20_000).toUTCString() } });
    await client.flush();
    expect(time.sleeps).toEqual([20_000]);
    expect(server.requests[1]!.at - time.start).toBe(20_000);
  });

  it("a 429 without Retry-After backs off like other retryable failures", async () => {
    const { client, track, time } = await setup();
    track(1);
    server.script.push({ kind: "status", status: 429 }, { kind: "status", status: 429 });
    await client.flush();
    expect(time.sleeps).toEqual([750, 1500]);
    expect(client.getStats()).toMatchObject({ sent: 1, retried: 2 });
  });

  it("a 429 pauses ALL sending: later batches and prediction requests wait too", async () => {
    const { client, track, time, sink } = await setup({ maxRetries: 0 });
    const ids = track(2);
    server.script.push({ kind: "status", status: 429, headers: { "retry-after": "30" } });
    await client.flush();
    // Retries exhausted: the batch is back in the queue and the cause reported.
    expect(client.getStats()).toMatchObject({ queued: 2, requeued: 2 });
    expect(sink.messages()[0]).toContain("HTTP 429");
    await client.refreshPredictions([{ task_type: "testing", model: "m", provider: "openai", complexity: "low" }]);
    await client.flush();
    expect(server.requests.map((r) => [r.path, r.at - time.start])).toEqual([
      ["/v1/events/batch", 0],
      ["/v1/predictions/batch", 30_000],
      ["/v1/events/batch", 30_000],
    ]);
    expect(server.batches()[1]).toEqual(ids);
  });

  it("a batch that exhausts its retries goes back to the FRONT of the queue, order kept", async () => {
    const { client, track } = await setup({ batchSize: 2, maxRetries: 1 });
    const ids = track(5);
    server.script.push({ kind: "status", status: 503 }, { kind: "status", status: 503 });
    await client.flush();
    expect(client.getStats()).toMatchObject({ queued: 5, requeued: 2, sent: 0 });
    const more = track(1);
    await client.flush();
    expect(server.batches().slice(2)).toEqual([ids.slice(0, 2), ids.slice(2, 4), [ids[4], more[0]]]);
    expect(client.getStats()).toMatchObject({ queued: 0, sent: 6 });
  });

  it.each([403, 401])("HTTP %i is attempted exactly once, reported with its status, events dropped", async (status) => {
    const { client, track, sink } = await setup({ maxRetries: 3 });
    track(3);
    server.script.push({
      kind: "status",
      status,
      body: { error: { code: status === 403 ? "instance_mismatch" : "unauthorized", message: "key does not match" } },
    });
    await client.flush();
    expect(server.requests).toHaveLength(1);
    expect(client.getStats()).toMatchObject({ queued: 0, dropped: 3, sent: 0, retried: 0 });
    expect(sink.errors).toHaveLength(1);
    const error = sink.errors[0] as TelemetryHttpError;
    expect(error).toBeInstanceOf(TelemetryHttpError);
    expect(error.status).toBe(status);
    expect(error.message).toContain(`HTTP ${status}`);
    if (status === 403) expect(error.message).toBe("HTTP 403: instance_mismatch key does not match");
    expect(error.message).not.toContain(API_KEY);
  });

  it("413 splits the batch in halves and resends them", async () => {
    const { client, track } = await setup();
    const ids = track(4);
    server.handler = (request) => (request.eventIds.length > 2 ? { kind: "status", status: 413 } : undefined);
    await client.flush();
    expect(server.batches()).toEqual([ids, ids.slice(0, 2), ids.slice(2)]);
    expect(client.getStats()).toMatchObject({ sent: 4, dropped: 0 });
  });

  it("a single event that is 413 on its own is dropped and reported, the rest delivered", async () => {
    const { client, track, sink } = await setup();
    const ids = track(2);
    server.handler = (request) =>
      request.eventIds.includes(ids[0]!) ? { kind: "status", status: 413, body: { error: { code: "payload_too_large", message: "over 1 MiB" } } } : undefined;
    await client.flush();
    expect(server.batches()).toEqual([ids, [ids[0]], [ids[1]]]);
    expect(client.getStats()).toMatchObject({ sent: 1, dropped: 1 });
    expect(sink.messages()).toEqual(["HTTP 413: payload_too_large over 1 MiB"]);
  });

  it.each([500, 502, 503, 504, 507, 599])("HTTP %i is retried (every 5xx except 501), then delivered: nothing lost", async (status) => {
    const { client, track, sink } = await setup();
    const ids = track(2);
    server.script.push({ kind: "status", status, body: { error: { code: "internal_error", message: "oops" } } });
    await client.flush();
    expect(server.batches()).toEqual([ids, ids]);
    expect(client.getStats()).toMatchObject({ sent: 2, dropped: 0, queued: 0, retried: 1 });
    expect(sink.messages()).toEqual([`HTTP ${status}: internal_error oops`]);
  });

  it("HTTP 501 is final: attempted once, dropped and reported", async () => {
    const { client, track, sink } = await setup();
    track(2);
    server.script.push({ kind: "status", status: 501, body: { error: { code: "not_implemented", message: "no" } } });
    await client.flush();
    expect(server.requests).toHaveLength(1);
    expect(client.getStats()).toMatchObject({ dropped: 2, queued: 0, retried: 0 });
    expect(sink.messages()).toEqual(["HTTP 501: not_implemented no"]);
  });

  it("a request stalled past requestTimeoutMs is retried", async () => {
    const { client, track, sink } = await setup({ requestTimeoutMs: 150 });
    track(1);
    server.script.push({ kind: "stall" });
    await client.flush();
    expect(server.requests).toHaveLength(2);
    expect(client.getStats()).toMatchObject({ sent: 1, retried: 1 });
    // The first failure of an outage is reported, even one that the retry ends.
    expect(sink.messages()).toEqual(["Request timed out after 150 ms"]);
  });

  it("a dropped connection is retried, and reported with its cause once, at its first failure", async () => {
    const { client, track, sink } = await setup({ maxRetries: 1 });
    track(1);
    server.script.push({ kind: "drop" }, { kind: "drop" });
    await client.flush();
    expect(server.requests).toHaveLength(2);
    expect(client.getStats()).toMatchObject({ sent: 0, queued: 1, retried: 1 });
    expect(sink.errors.map((e) => e.code)).toEqual(["network_error"]);
    expect(sink.errors[0]?.message).not.toContain(API_KEY);
    await client.flush();
    expect(client.getStats()).toMatchObject({ sent: 1, queued: 0 });
  });

  it("at capacity evicts the OLDEST events and warns once per burst", async () => {
    const { client, track, sink } = await setup({ maxQueueSize: 3 });
    const ids = track(6);
    expect(client.getStats()).toMatchObject({ queued: 3, evicted: 3, dropped: 3 });
    expect(sink.errors.map((e) => e.code)).toEqual(["queue_overflow"]);
    await client.flush();
    expect(server.batches()).toEqual([ids.slice(3)]);
    track(5);
    expect(sink.errors.map((e) => e.code)).toEqual(["queue_overflow", "queue_overflow"]);
  });

  it("flush: concurrent callers share one run, which also sends events tracked while it runs", async () => {
    const { client, track } = await setup({ batchSize: 2 });
    track(2);
    let late: string[] = [];
    server.handler = (_request, index) => {
      if (index === 0) late = track(3);
      return undefined;
    };
    const first = client.flush();
    const second = client.flush();
    expect(second).toBe(first);
    await Promise.all([first, second]);
    expect(server.batches().flat()).toHaveLength(5);
    expect(server.batches().flat().slice(2)).toEqual(late);
    expect(client.getStats().queued).toBe(0);
  });

  it("a next batch encoded ahead is not sent when the queue's front changed meanwhile (eviction)", async () => {
    const { client, track } = await setup({ maxQueueSize: 120 });
    const ids = track(120);
    let late: string[] = [];
    // While the first batch is on the wire, 110 more arrive: the queue (20 left + 110) evicts 10
    // of the 20 that were encoded ahead as the next batch.
    server.handler = (_request, index) => {
      if (index === 0) late = track(110);
      return undefined;
    };
    await client.flush();
    const batches = server.batches();
    expect(batches[0]).toEqual(ids.slice(0, 100));
    expect(batches[1]).toEqual([...ids.slice(110), ...late.slice(0, 90)]);
    expect(batches.slice(2).flat()).toEqual(late.slice(90));
    expect(client.getStats()).toMatchObject({ sent: 220, evicted: 10, queued: 0 });
  });

  it("an onError that throws is contained", async () => {
    const { client, track } = await setup({ onError: () => { throw new Error("handler bug"); } });
    expect(() => client.track({} as never)).not.toThrow();
    track(1);
    server.script.push({ kind: "status", status: 500 });
    await expect(client.flush()).resolves.toEqual({ sent: 1, pending: 0 });
    await expect(client.stop()).resolves.toMatchObject({ pending: 0 });
  });

  it("an async onError that rejects is contained: no unhandled rejection", async () => {
    const unhandled: unknown[] = [];
    const listener = (reason: unknown): void => void unhandled.push(reason);
    process.on("unhandledRejection", listener);
    try {
      let calls = 0;
      const { client, track } = await setup({
        onError: async () => {
          calls++;
          throw new Error("async handler bug");
        },
      });
      client.track({} as never);
      track(1);
      server.script.push({ kind: "status", status: 500 });
      await client.flush();
      expect(calls).toBe(2);
      // Node reports unhandled rejections once the microtask queue is empty: give it one turn.
      await new Promise((resolve) => setImmediate(resolve));
      expect(unhandled).toEqual([]);
    } finally {
      process.off("unhandledRejection", listener);
    }
  });

  it("a 503 with Retry-After waits that long instead of the backoff", async () => {
    const { client, track, time } = await setup();
    track(1);
    server.script.push({ kind: "status", status: 503, headers: { "retry-after": "9" } });
    await client.flush();
    expect(time.sleeps).toEqual([9_000]);
    expect(server.requests.map((r) => r.at - time.start)).toEqual([0, 9_000]);
    expect(client.getStats()).toMatchObject({ sent: 1, retried: 1 });
  });

  it("a 503's Retry-After holds the next requests of any kind, after the retries ran out", async () => {
    const { client, track, time } = await setup({ maxRetries: 0 });
    track(1);
    server.script.push({ kind: "status", status: 503, headers: { "retry-after": "9" } });
    await client.flush();
    await client.refreshPredictions([{ task_type: "testing", model: "m", provider: "openai", complexity: "low" }]);
    await client.flush();
    expect(server.requests.map((r) => [r.path, r.at - time.start])).toEqual([
      ["/v1/events/batch", 0],
      ["/v1/predictions/batch", 9_000],
      ["/v1/events/batch", 9_000],
    ]);
    expect(client.getStats()).toMatchObject({ sent: 1, queued: 0 });
  });
});

describe("start, stop, dryRun, disabled", () => {
  it("start() sends on the interval, is idempotent and stop() ends it", async () => {
    const ticks: (() => void)[] = [];
    let cancelled = 0;
    const { client, track } = await setup({
      hooks: {
        every: (fn) => {
          ticks.push(fn);
          return () => void cancelled++;
        },
      },
    });
    client.start();
    client.start();
    expect(ticks).toHaveLength(1);
    track(2);
    ticks[0]!();
    await client.flush();
    expect(client.getStats().sent).toBe(2);
    await client.stop();
    expect(cancelled).toBe(1);
  });

  it("stop() flushes everything and resolves with the totals; twice is the same promise", async () => {
    const { client, track } = await setup();
    track(250);
    const first = client.stop();
    const second = client.stop();
    expect(second).toBe(first);
    await expect(first).resolves.toEqual({ sent: 250, dropped: 0, pending: 0, reason: null });
    expect(server.batches().map((b) => b.length)).toEqual([100, 100, 50]);
  });

  it("stop() waits for a running flush, then sends what was tracked meanwhile", async () => {
    const { client, track } = await setup();
    track(3);
    const running = client.flush();
    track(2);
    const result = await client.stop();
    await running;
    expect(result).toEqual({ sent: 5, dropped: 0, pending: 0, reason: null });
  });

  it("track() after stop() drops the event and reports it once", async () => {
    const { client, track, sink } = await setup();
    await client.stop();
    track(3);
    expect(client.getStats()).toMatchObject({ queued: 0, dropped: 3 });
    expect(sink.errors.map((e) => e.code)).toEqual(["client_stopped"]);
    expect(server.requests).toHaveLength(0);
  });

  it("stop() gives up after stopTimeoutMs against a stalled server and never rejects", async () => {
    const { client, track } = await setup({ stopTimeoutMs: 200, requestTimeoutMs: 60_000 });
    track(3);
    server.handler = () => ({ kind: "stall" });
    const started = Date.now();
    const result = await client.stop();
    expect(result).toMatchObject({ sent: 0, dropped: 0, pending: 3 });
    expect(result.reason).toContain("stop() ran out of its 200 ms with 3 events unsent");
    expect(Date.now() - started).toBeLessThan(5_000);
  });

  it("stop() cuts a long Retry-After wait short at stopTimeoutMs (real timers)", async () => {
    const { client, track } = await setup({ hooks: {}, stopTimeoutMs: 200 });
    track(2);
    server.script.push({ kind: "status", status: 429, headers: { "retry-after": "3600" } });
    const started = Date.now();
    expect(await client.stop()).toMatchObject({ sent: 0, dropped: 0, pending: 2 });
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(server.requests).toHaveLength(1);
  });

  it("dryRun runs everything but the HTTP call: the server sees zero requests", async () => {
    const { client, track } = await setup({ dryRun: true, batchSize: 10 });
    track(25);
    await client.flush();
    await client.refreshPredictions([{ task_type: "testing", model: "m", provider: "openai", complexity: "low" }]);
    expect(await client.stop()).toEqual({ sent: 25, dropped: 0, pending: 0, reason: null });
    expect(server.requests).toHaveLength(0);
  });

  it("disabled: track() does nothing and nothing is sent", async () => {
    const { client, track, sink } = await setup({ enabled: false });
    client.start();
    track(5);
    await client.flush();
    await client.refreshPredictions([{ task_type: "testing", model: "m", provider: "openai", complexity: "low" }]);
    expect(await client.stop()).toEqual({ sent: 0, dropped: 0, pending: 0, reason: null });
    expect(client.getStats()).toMatchObject({ queued: 0, dropped: 0, invalid: 0 });
    expect(server.requests).toHaveLength(0);
    expect(sink.errors).toEqual([]);
  });

  it("an enabled client with a bad config sends nothing", async () => {
    const { client, track, sink } = await setup({ apiKey: "msk bad" });
    client.start();
    track(2);
    await client.flush();
    expect(await client.stop()).toEqual({ sent: 0, dropped: 2, pending: 0, reason: null });
    expect(server.requests).toHaveLength(0);
    expect(sink.errors.map((e) => e.code)).toEqual(["invalid_config"]);
  });

  it("a serverUrl with a path prefix is kept", async () => {
    const { client, track } = await setup();
    const prefixed = new TelemetryClient({ serverUrl: `${server.url}/telemetry/`, apiKey: API_KEY, instanceId: INSTANCE_ID });
    prefixed.track(prefixed.eventBuilder.build(fields()));
    await prefixed.stop();
    track(0);
    await client.stop();
    expect(server.requests.map((r) => r.path)).toEqual(["/telemetry/v1/events/batch"]);
  });
});
