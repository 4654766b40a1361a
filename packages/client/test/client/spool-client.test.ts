import { mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { TelemetryClient, type TelemetryClientOptions } from "../../src/index.js";
import { API_KEY, INSTANCE_ID, closedPortUrl, errorSink, failOnUnhandledRejection, fields } from "../helpers/fixtures.js";
import { LoopbackServer } from "../helpers/loopback-server.js";

// The spool as the client uses it, in one process: clients on one folder one after another.
// Killed processes and processes sharing a folder: test/built/process-end.test.ts.
failOnUnhandledRejection();

let server: LoopbackServer;
let folder: string;
beforeEach(async () => {
  server = await new LoopbackServer().start();
  folder = mkdtempSync(join(tmpdir(), "mosaic-spool-client-"));
});
afterEach(async () => {
  await server.close();
  rmSync(folder, { recursive: true, force: true });
});

function client(options: Partial<TelemetryClientOptions> = {}) {
  const sink = errorSink();
  const made = new TelemetryClient({
    serverUrl: server.url,
    apiKey: API_KEY,
    instanceId: INSTANCE_ID,
    spoolDir: folder,
    sendOnExit: false,
    onError: sink.onError,
    ...options,
  });
  const track = (n: number): string[] =>
    Array.from({ length: n }, () => {
      const event = made.eventBuilder.build(fields());
      made.track(event);
      return event.event_id;
    });
  return { client: made, sink, track };
}

/** A client that cannot reach anything and stops at once: what it tracked stays in the spool. */
async function leaveInSpool(n: number, options: Partial<TelemetryClientOptions> = {}) {
  const dead = client({ serverUrl: await closedPortUrl(), stopTimeoutMs: 0, ...options });
  const ids = dead.track(n);
  const result = await dead.client.stop();
  return { ids, result, stats: dead.client.getStats(), sink: dead.sink };
}

describe("the spool, client by client", () => {
  it("events left unsent at stop() stay in the spool, and the next client sends them, same ids", async () => {
    const left = await leaveInSpool(30);
    expect(left.result).toMatchObject({ sent: 0, pending: 30 });
    expect(left.result.reason).toContain("they stay in the spool for the next client");
    expect(readdirSync(folder)).toHaveLength(1);

    const next = client();
    expect(next.client.getStats()).toMatchObject({ recovered: 30, queued: 30 });
    expect(await next.client.stop()).toMatchObject({ sent: 30, pending: 0, reason: null });
    expect([...server.stored()]).toEqual(left.ids);
    expect(readdirSync(folder)).toEqual([]);
  });

  it("start() sends taken-over events at once, not after the first interval", async () => {
    const left = await leaveInSpool(5);
    const next = client({ submitIntervalMs: 3_600_000 });
    next.client.start();
    while (server.stored().size < 5) await new Promise((resolve) => setTimeout(resolve, 5));
    expect([...server.stored()]).toEqual(left.ids);
    await next.client.stop();
  });

  it("a running client takes over, at its next cycle, the file of a client that ended meanwhile", async () => {
    const ticks: (() => void)[] = [];
    const running = client({ hooks: { every: (fn) => (ticks.push(fn), () => {}) } });
    running.client.start();
    const left = await leaveInSpool(6);
    expect(running.client.getStats().recovered).toBe(0);
    ticks[0]!();
    expect(running.client.getStats().recovered).toBe(6);
    expect(await running.client.stop()).toMatchObject({ sent: 6, pending: 0 });
    expect([...server.stored()]).toEqual(left.ids);
    expect(readdirSync(folder)).toEqual([]);
  });

  it("at its byte bound the spool evicts the OLDEST events, counted; the newest are kept on disk", async () => {
    // Compact records are about 250 bytes: 64 KiB holds some 260 of the 1,000 events.
    const left = await leaveInSpool(1_000, { spoolMaxBytes: 64 * 1024 });
    expect(left.stats.evicted).toBeGreaterThan(600);
    expect(left.stats.dropped).toBe(left.stats.evicted);
    expect(left.result.pending).toBe(1_000 - left.stats.evicted);
    expect(left.sink.errors.map((e) => e.code)).toContain("queue_overflow");

    const next = client();
    const kept = left.ids.slice(left.stats.evicted);
    expect(next.client.getStats().recovered).toBe(kept.length);
    await next.client.stop();
    expect([...server.stored()]).toEqual(kept);
  });

  it("an unusable folder is reported once and the client works in memory", async () => {
    const file = join(folder, "a-file");
    writeFileSync(file, "");
    const { client: made, sink, track } = client({ spoolDir: join(file, "spool") });
    const ids = track(3);
    expect(await made.stop()).toMatchObject({ sent: 3, pending: 0 });
    expect([...server.stored()]).toEqual(ids);
    expect(sink.errors.map((e) => e.code)).toEqual(["spool_error"]);
    expect(sink.errors[0]?.message).toContain("Spool folder unusable");
  });

  it("a dryRun client does not take over (and so lose) what another left in the spool", async () => {
    const left = await leaveInSpool(4);
    const dry = client({ dryRun: true });
    expect(dry.client.getStats().recovered).toBe(0);
    await dry.client.stop();
    const next = client();
    expect(next.client.getStats().recovered).toBe(4);
    await next.client.stop();
    expect([...server.stored()]).toEqual(left.ids);
  });

  it("events answered rejected leave the spool too (the server has answered for them)", async () => {
    const first = client({ stopTimeoutMs: 2_000 });
    first.track(2);
    server.script.push({ kind: "results", statuses: ["accepted", "rejected"] });
    expect(await first.client.stop()).toMatchObject({ sent: 1, dropped: 1, pending: 0 });
    expect(readdirSync(folder)).toEqual([]);
    const last = client();
    expect(last.client.getStats().recovered).toBe(0);
    await last.client.stop();
  });
});
