import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Database from "better-sqlite3";
import { afterAll, describe, expect, it } from "vitest";
import { groupKeysOfEvent } from "../helpers/group-keys.js";
import type { SqliteSettings } from "../../src/storage/sqlite/sqlite-settings.js";
import { SqliteStorage } from "../../src/storage/sqlite/sqlite-storage.js";
import { SKETCH_METRICS } from "../../src/aggregation/sketch-metrics.js";
import { StorageUnavailableError, type Storage } from "../../src/storage/storage.js";
import { makeEvent, seedInstance } from "./storage-fixtures.js";
import { toStore } from "../helpers/events-to-store.js";

const root = mkdtempSync(join(tmpdir(), "mosaic-sqlite-group-"));
let counter = 0;

afterAll(() => rmSync(root, { recursive: true, force: true }));

/** A migrated SQLite storage in its own file that records the calls of each ingest transaction. */
async function openCounting(settings: SqliteSettings = {}): Promise<{ storage: SqliteStorage; transactions: number[]; path: string }> {
  counter += 1;
  const path = join(root, `case-${counter}.db`);
  const transactions: number[] = [];
  const storage = new SqliteStorage(new Database(path), { ...settings, onIngestTransaction: (calls) => transactions.push(calls) });
  await storage.migrate();
  return { storage, transactions, path };
}

/** A group's events and each metric's bin counts, summed over its instances (the bins must sum to the events). */
async function binTotals(storage: Storage, key: string): Promise<{ events: number; bins: number[] }> {
  const rows = (await storage.readInstanceAggregates([key])).get(key) ?? [];
  return {
    events: rows.reduce((sum, row) => sum + row.events, 0),
    bins: SKETCH_METRICS.map((metric) => rows.reduce((sum, row) => sum + [...row.bins[metric].values()].reduce((a, b) => a + b, 0), 0)),
  };
}

describe("SQLite ingest: group commit", () => {
  it("writes concurrent calls of one event-loop turn in one transaction, each answered after it", async () => {
    const { storage, transactions } = await openCounting();
    const { instance } = await seedInstance(storage);
    const calls = Array.from({ length: 8 }, () => storage.ingestEvents(instance.id, toStore([makeEvent(instance.id), makeEvent(instance.id)]), new Date()));
    const results = await Promise.all(calls);
    expect(transactions).toEqual([8]);
    expect(results).toEqual(Array.from({ length: 8 }, () => ["accepted", "accepted"]));
    expect((await storage.usage(instance.id)).events).toBe(16);
    // A call made after the group has committed goes in a transaction of its own.
    await storage.ingestEvents(instance.id, toStore([makeEvent(instance.id)]), new Date());
    expect(transactions).toEqual([8, 1]);
    await storage.close();
  });

  it("answers exactly per event across the calls of one group: the first copy of an event_id wins", async () => {
    const { storage, transactions } = await openCounting();
    const { instance: a } = await seedInstance(storage, "a");
    const { instance: b } = await seedInstance(storage, "b");
    const [e1, e2, e3] = [makeEvent(a.id), makeEvent(a.id), makeEvent(a.id)];
    const results = await Promise.all([
      storage.ingestEvents(a.id, toStore([e1, e2]), new Date("2026-11-28T12:00:00Z")),
      storage.ingestEvents(a.id, toStore([e2, e3, e3]), new Date("2026-11-28T12:00:01Z")),
      // The same event_id from another instance is another event (dedup is per instance).
      storage.ingestEvents(b.id, toStore([{ ...e1, instance_id: b.id }]), new Date("2026-11-28T12:00:02Z")),
      storage.ingestEvents(a.id, toStore([e1, e3]), new Date("2026-11-28T12:00:03Z")),
    ]);
    expect(transactions).toEqual([4]);
    expect(results).toEqual([["accepted", "accepted"], ["duplicate", "accepted", "duplicate"], ["accepted"], ["duplicate", "duplicate"]]);
    const usageA = await storage.usage(a.id);
    expect(usageA.events).toBe(3);
    // The receive times of a's calls that accepted something: the first and the second.
    expect(usageA.firstEventAt).toEqual(new Date("2026-11-28T12:00:00Z"));
    expect(usageA.lastEventAt).toEqual(new Date("2026-11-28T12:00:01Z"));
    expect((await storage.usage(b.id)).events).toBe(1);
    const [levelZero] = groupKeysOfEvent(e1);
    const rows = (await storage.readInstanceAggregates([levelZero as string])).get(levelZero as string) ?? [];
    expect(new Map(rows.map((row) => [row.instanceId, row.events]))).toEqual(new Map([[a.id, 3], [b.id, 1]]));
    await storage.close();
  });

  it("keeps one call's bad data from failing the others: the group is retried call by call", async () => {
    const { storage, transactions } = await openCounting();
    const { instance } = await seedInstance(storage);
    const good = [makeEvent(instance.id), makeEvent(instance.id)];
    // A timestamp SQLite cannot bind: the insert throws inside the group's transaction.
    const bad = [makeEvent(instance.id), makeEvent(instance.id, { timestamp: {} as unknown as string })];
    const later = [makeEvent(instance.id)];
    const [first, failed, third] = await Promise.allSettled([
      storage.ingestEvents(instance.id, toStore(good), new Date()),
      storage.ingestEvents(instance.id, toStore(bad), new Date()),
      storage.ingestEvents(instance.id, toStore(later), new Date()),
    ]);
    expect(transactions).toEqual([3, 1, 1, 1]);
    expect(first).toEqual({ status: "fulfilled", value: ["accepted", "accepted"] });
    expect(third).toEqual({ status: "fulfilled", value: ["accepted"] });
    expect(failed.status).toBe("rejected");
    expect((failed as PromiseRejectedResult).reason).not.toBeInstanceOf(StorageUnavailableError);
    // The bad call wrote nothing, not even its good first event; aggregates count only the others.
    expect((await storage.usage(instance.id)).events).toBe(3);
    const [levelZero] = groupKeysOfEvent(good[0] as never);
    expect(await binTotals(storage, levelZero as string)).toEqual({ events: 3, bins: [3, 3, 3, 3] });
    expect(await storage.ingestEvents(instance.id, toStore([bad[0] as never]), new Date())).toEqual(["accepted"]);
    await storage.close();
  });

  it("fails every call of a group at once when the database is unavailable, without retrying each", async () => {
    const { storage, transactions, path } = await openCounting({ busyTimeoutMs: 20 });
    const { instance } = await seedInstance(storage);
    const other = new Database(path);
    other.exec("BEGIN IMMEDIATE"); // another process holding the write lock
    try {
      const results = await Promise.allSettled([1, 2, 3].map(() => storage.ingestEvents(instance.id, toStore([makeEvent(instance.id)]), new Date())));
      expect(results.map((result) => result.status)).toEqual(["rejected", "rejected", "rejected"]);
      for (const result of results) expect((result as PromiseRejectedResult).reason).toBeInstanceOf(StorageUnavailableError);
      expect(transactions).toEqual([3]);
    } finally {
      other.exec("ROLLBACK");
      other.close();
    }
    expect(await storage.ingestEvents(instance.id, toStore([makeEvent(instance.id)]), new Date())).toEqual(["accepted"]);
    await storage.close();
  });

  it("splits a turn's calls into transactions of at most maxEventsPerTransaction events, in call order", async () => {
    const { storage, transactions } = await openCounting({ maxEventsPerTransaction: 100 });
    const { instance } = await seedInstance(storage);
    const batch = (size: number) => Array.from({ length: size }, () => makeEvent(instance.id));
    const sizes = [40, 40, 40, 150, 10];
    const results = await Promise.all(sizes.map((size) => storage.ingestEvents(instance.id, toStore(batch(size)), new Date())));
    // 40+40 | 40 | 150 (heavier than the bound: alone) | 10
    expect(transactions).toEqual([2, 1, 1, 1]);
    expect(results.map((statuses) => statuses.filter((status) => status === "accepted").length)).toEqual(sizes);
    await storage.close();
  });

  it("keeps every group's bin counts equal to its accepted events under many concurrent grouped calls", async () => {
    const { storage, transactions } = await openCounting();
    const { instance: a } = await seedInstance(storage, "a");
    const { instance: b } = await seedInstance(storage, "b");
    const shared = Array.from({ length: 30 }, (_, i) =>
      makeEvent(a.id, { actual_input_tokens: 100 + i * 37, task_duration_ms: 1000 + i * 911, actual_cost_usd_micros: i * 13 }),
    );
    const calls: Promise<unknown>[] = [];
    for (let round = 0; round < 3; round++) {
      for (let call = 0; call < 6; call++) {
        const instance = call % 2 === 0 ? a : b;
        // Overlapping slices of the same events: many duplicates within and across calls.
        const events = shared.slice(call * 4, call * 4 + 10).map((event) => ({ ...event, instance_id: instance.id }));
        calls.push(storage.ingestEvents(instance.id, toStore(events), new Date()));
      }
      await Promise.all(calls);
    }
    const accepted = (await Promise.all(calls)) as string[][];
    const expected = accepted.flat().filter((status) => status === "accepted").length;
    expect(transactions.length).toBe(3);
    expect(transactions.every((calls) => calls > 1)).toBe(true);
    const stored = (await storage.usage(a.id)).events + (await storage.usage(b.id)).events;
    expect(stored).toBe(expected);
    const level3 = groupKeysOfEvent(shared[0] as never)[3] as string;
    expect(await binTotals(storage, level3)).toEqual({ events: expected, bins: [expected, expected, expected, expected] });
    await storage.close();
  });

  it("writes calls still waiting for their turn when closed, then refuses new ones", async () => {
    const { storage, path } = await openCounting();
    const { instance } = await seedInstance(storage);
    const pending = storage.ingestEvents(instance.id, toStore([makeEvent(instance.id)]), new Date());
    await storage.close();
    expect(await pending).toEqual(["accepted"]);
    await expect(storage.ingestEvents(instance.id, toStore([makeEvent(instance.id)]), new Date())).rejects.toBeInstanceOf(StorageUnavailableError);
    const reopened = new SqliteStorage(new Database(path));
    expect((await reopened.usage(instance.id)).events).toBe(1);
    await reopened.close();
  });
});
