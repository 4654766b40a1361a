import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Database from "better-sqlite3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { groupKeysOfEvent } from "../helpers/group-keys.js";
import { SqliteStorage } from "../../src/storage/sqlite/sqlite-storage.js";
import { SKETCH_METRICS } from "../../src/aggregation/sketch-metrics.js";
import { makeEvent, postJson, startTestServer, type Json, type TestServer } from "../http/test-server.js";

/** Concurrent requests through the real route over loopback, on a SQLite file whose transactions are counted. */
// Socket kept: group commit forms its groups per event-loop turn, so it is checked here under real concurrent connections (requests arriving through socket I/O), not inject's in-process scheduling.
describe("SQLite group commit behind POST /v1/events/batch", () => {
  const dir = mkdtempSync(join(tmpdir(), "mosaic-group-http-"));
  const transactions: number[] = [];
  let server: TestServer;

  beforeAll(async () => {
    const storage = new SqliteStorage(new Database(join(dir, "telemetry.db")), { onIngestTransaction: (calls) => transactions.push(calls) });
    await storage.migrate();
    server = await startTestServer({ storage, config: { rateLimits: { eventsPerMinute: 10_000, predictionsPerMinute: 300 } } });
  });
  afterAll(async () => {
    await server.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("accepts each event_id exactly once across concurrent requests, and the bins sum to the accepted events", async () => {
    const shared = Array.from({ length: 20 }, () => makeEvent(server.instanceId));
    // 12 requests at once, each a window of the shared events that overlaps its neighbours'.
    const bodies = Array.from({ length: 12 }, (_, i) => ({ events: shared.slice(i, i + 9).concat(makeEvent(server.instanceId)) }));
    const answers = await Promise.all(bodies.map((body) => postJson(`${server.url}/v1/events/batch`, server.apiKey, body)));
    expect(answers.map((answer) => answer.status)).toEqual(bodies.map(() => 200));

    const acceptedIds = answers.flatMap((answer) =>
      (answer.body as Json).results.filter((result: Json) => result.status === "accepted").map((result: Json) => result.event_id as string),
    );
    const sentIds = new Set(bodies.flatMap((body) => body.events.map((event) => event["event_id"] as string)));
    // Every distinct id accepted once, whichever request came first; every other copy a duplicate.
    expect(acceptedIds.length).toBe(sentIds.size);
    expect(new Set(acceptedIds)).toEqual(sentIds);
    const duplicates = answers.reduce((sum, answer) => sum + (answer.body as Json).duplicates, 0);
    expect(duplicates).toBe(12 * 10 - sentIds.size);

    // Every request was written by some transaction, none retried alone.
    expect(transactions.reduce((sum, calls) => sum + calls, 0)).toBe(12);
    expect((await server.storage.usage(server.instanceId)).events).toBe(sentIds.size);
    const levelThree = groupKeysOfEvent(shared[0] as never)[3] as string;
    const rows = (await server.storage.readInstanceAggregates([levelThree])).get(levelThree) ?? [];
    expect(rows.map((row) => row.events)).toEqual([sentIds.size]);
    for (const metric of SKETCH_METRICS) {
      expect([...(rows[0]?.bins[metric].values() ?? [])].reduce((a, b) => a + b, 0)).toBe(sentIds.size);
    }
  });
});
