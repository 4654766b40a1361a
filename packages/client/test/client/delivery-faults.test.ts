import { describe, expect, it } from "vitest";
import { TelemetryClient, type TelemetryClientOptions } from "../../src/index.js";
import { API_KEY, INSTANCE_ID, closedPortUrl, errorSink, failOnUnhandledRejection, fakeTime, fields } from "../helpers/fixtures.js";
import { loopbackClients } from "../helpers/client-setup.js";
import type { LoopbackServer } from "../helpers/loopback-server.js";

// The fault matrix of issue 10, in process against a scripted loopback server and a fake clock
// (every backoff moves the clock at once): nothing the client accepted may be lost.
failOnUnhandledRejection();

const setupClient = loopbackClients();
let server: LoopbackServer;

async function setup(options: Partial<TelemetryClientOptions> = {}) {
  const made = await setupClient(options);
  server = made.server;
  return made;
}

/** Every tracked id stored by the server exactly once (the loopback server dedups by id). */
function expectStoredOnce(ids: string[]): void {
  expect(server.stored().size).toBe(ids.length);
  for (const id of ids) expect(server.stored().has(id)).toBe(true);
}

describe("faults: nothing accepted is lost", () => {
  it("a 500 storm of 5 s, then recovery: 2,000 events, 0 lost, the outage reported once", async () => {
    const { client, track, time, sink } = await setup();
    server.handler = () => (time.now() - time.start < 5_000 ? { kind: "status", status: 500 } : undefined);
    const ids = track(2_000);
    const result = await client.flush();
    expect(result).toEqual({ sent: 2_000, pending: 0 });
    expect(client.getStats()).toMatchObject({ sent: 2_000, dropped: 0, queued: 0 });
    expectStoredOnce(ids);
    expect(sink.errors.map((e) => e.message)).toEqual(["HTTP 500: test_error status 500"]);
  });

  it("far end down longer than maxRetries allow but within the stop deadline: stop() delivers all", async () => {
    const { client, track, time } = await setup({ maxRetries: 1, stopTimeoutMs: 30_000 });
    server.handler = () => (time.now() - time.start < 15_000 ? { kind: "drop" } : undefined);
    const ids = track(500);
    // The background cycle gives up after its one retry and keeps the events...
    expect(await client.flush()).toEqual({ sent: 0, pending: 500 });
    // ...stop() keeps retrying (backoff capped at 5 s) until the far end is back.
    const result = await client.stop();
    expect(result).toEqual({ sent: 500, dropped: 0, pending: 0, reason: null });
    expectStoredOnce(ids);
    expect(time.now() - time.start).toBeGreaterThanOrEqual(15_000);
    expect(time.now() - time.start).toBeLessThan(30_000);
  });

  it("a connection reset after the server stored the batch: resent, stored once, counted once", async () => {
    const { client, track } = await setup();
    const ids = track(150);
    server.script.push({ kind: "store-then-drop" });
    expect(await client.flush()).toEqual({ sent: 150, pending: 0 });
    expect(server.batches()).toEqual([ids.slice(0, 100), ids.slice(0, 100), ids.slice(100)]);
    expect(client.getStats()).toMatchObject({ sent: 150, duplicates: 100, dropped: 0 });
    expectStoredOnce(ids);
  });

  it("flush() with the far end down resolves after its retries with what is left", async () => {
    const { client, track, time } = await setup({ maxRetries: 2 });
    server.handler = () => ({ kind: "drop" });
    track(3);
    expect(await client.flush()).toEqual({ sent: 0, pending: 3 });
    expect(time.sleeps).toEqual([750, 1500]);
    expect(client.getStats()).toMatchObject({ queued: 3, dropped: 0 });
  });

  it("stop() wakes a background send sleeping in a long backoff and retries at once", async () => {
    // A sleep that never ends unless its signal aborts: only stop()'s wake can end it.
    const sleeps: number[] = [];
    const { client, track } = await setup({
      hooks: {
        sleep: (ms, signal) =>
          new Promise<void>((resolve) => {
            sleeps.push(ms);
            if (signal?.aborted === true) return resolve();
            signal?.addEventListener("abort", () => resolve(), { once: true });
          }),
      },
    });
    const ids = track(5);
    server.script.push({ kind: "status", status: 503 });
    const background = client.flush();
    while (server.requests.length === 0 || sleeps.length === 0) await new Promise((resolve) => setImmediate(resolve));
    expect(await client.stop()).toEqual({ sent: 5, dropped: 0, pending: 0, reason: null });
    await background;
    expectStoredOnce(ids);
  });

  it("stop() cuts a backoff that would pass its deadline short for a last attempt", async () => {
    const { client, track, time } = await setup({ stopTimeoutMs: 5_000 });
    server.handler = () => (time.now() - time.start < 4_700 ? { kind: "drop" } : undefined);
    const ids = track(2);
    // Waits of 750, 1,500, then 3,000 cut to 2,500 ms: the last attempt at 4,750 ms.
    expect(await client.stop()).toMatchObject({ sent: 2, pending: 0 });
    expect(server.requests.map((r) => r.at - time.start)).toEqual([0, 750, 2_250, 4_750]);
    expectStoredOnce(ids);
  });

  it("flush() does not wait out a Retry-After of an hour: it resolves with the events pending", async () => {
    const { client, track, time } = await setup();
    track(2);
    server.script.push({ kind: "status", status: 429, headers: { "retry-after": "3600" } });
    expect(await client.flush()).toEqual({ sent: 0, pending: 2 });
    expect(time.sleeps).toEqual([]);
    expect(server.requests).toHaveLength(1);
  });

  it("stop() honours a 429's Retry-After within its deadline", async () => {
    const { client, track, time } = await setup({ stopTimeoutMs: 10_000 });
    const ids = track(2);
    server.script.push({ kind: "status", status: 429, headers: { "retry-after": "3" } });
    expect(await client.stop()).toMatchObject({ sent: 2, pending: 0 });
    expect(server.requests.map((r) => r.at - time.start)).toEqual([0, 3_000]);
    expectStoredOnce(ids);
  });
});

describe("silence is a bug", () => {
  it("each outage reaches onError once, at its first failure; recovery is not an error", async () => {
    const { client, track, sink } = await setup({ maxRetries: 5 });
    server.script.push({ kind: "drop" }, { kind: "drop" }, { kind: "drop" });
    track(1);
    await client.flush();
    expect(sink.errors.map((e) => e.code)).toEqual(["network_error"]);
    server.script.push({ kind: "status", status: 503 }, { kind: "status", status: 503 });
    track(1);
    await client.flush();
    expect(sink.errors.map((e) => e.code)).toEqual(["network_error", "http_error"]);
    expect(client.getStats()).toMatchObject({ sent: 2, retried: 5 });
  });

  it("an unreachable serverUrl reaches onError (not only stop()'s pending count)", async () => {
    const sink = errorSink();
    const time = fakeTime();
    const client = new TelemetryClient({
      serverUrl: await closedPortUrl(),
      apiKey: API_KEY,
      instanceId: INSTANCE_ID,
      onError: sink.onError,
      hooks: time.hooks,
      sendOnExit: false,
      stopTimeoutMs: 2_000,
    });
    client.track(client.eventBuilder.build(fields()));
    client.track(client.eventBuilder.build(fields()));
    const result = await client.stop();
    expect(result.pending).toBe(2);
    expect(sink.errors.map((e) => e.code)).toEqual(["network_error", "events_pending"]);
    expect(sink.errors[0]?.message).toContain("ECONNREFUSED");
    expect(result.reason).toContain("2 events unsent (last failure: Network error: ECONNREFUSED)");
    expect(result.reason).toContain("lost when the process exits");
    expect(sink.errors[1]?.message).toBe(result.reason);
  });
});

describe("wire details", () => {
  it("a body over 1 KiB goes gzip-compressed and decodes to the batch; gzip: false sends plain JSON", async () => {
    const { client, track } = await setup();
    const ids = track(3);
    await client.flush();
    const request = server.requests[0]!;
    expect(request.headers["content-encoding"]).toBe("gzip");
    expect(request.eventIds).toEqual(ids);
    expect(Number(request.headers["content-length"])).toBeLessThan(JSON.stringify(request.body).length / 2);
    await client.stop();

    const plain = new TelemetryClient({ serverUrl: server.url, apiKey: API_KEY, instanceId: INSTANCE_ID, gzip: false, sendOnExit: false });
    for (let i = 0; i < 3; i++) plain.track(plain.eventBuilder.build(fields()));
    await plain.stop();
    expect(server.requests[1]!.headers["content-encoding"]).toBeUndefined();
    expect(Number(server.requests[1]!.headers["content-length"])).toBeGreaterThan(1024);
    expect(server.requests[1]!.eventIds).toHaveLength(3);
  });

  it("a body under 1 KiB goes as it is", async () => {
    const { client } = await setup();
    await client.refreshPredictions([{ task_type: "testing", model: "m", provider: "openai", complexity: "low" }]);
    expect(server.requests[0]!.headers["content-encoding"]).toBeUndefined();
  });

  it("a key of another shape reaches the server as given", async () => {
    const { client, track, sink } = await setup({ apiKey: "sk-other-shape_0123" });
    track(1);
    await client.flush();
    expect(server.requests[0]!.headers["authorization"]).toBe("Bearer sk-other-shape_0123");
    expect(sink.errors).toEqual([]);
  });
});
