import { randomUUID } from "node:crypto";
import { afterEach, describe, expect, it, vi } from "vitest";
import { ENGINES, engineTitle, freshDatabase, type EngineDatabase } from "../helpers/engines.js";
import { groupKey } from "../../src/aggregation/group-key.js";
import { groupKeysOfEvent } from "../helpers/group-keys.js";
import { sketchBin } from "../../src/aggregation/sketch-mapping.js";
import { SKETCH_METRICS } from "../../src/aggregation/sketch-metrics.js";
import { AGGREGATE_PAGE_ROWS } from "../../src/storage/postgres/postgres-prediction-store.js";
import { AGGREGATE_CHUNK_ROWS } from "../../src/storage/sqlite/sqlite-prediction-store.js";
import { StorageUnavailableError, type Storage } from "../../src/storage/storage.js";
import { makeEvent, makeKey, seedInstance } from "./storage-fixtures.js";
import { toStore } from "../helpers/events-to-store.js";

const RECEIVED = new Date("2026-11-28T12:30:00.000Z");
const HOUR_MS = 3_600_000;
const DIMS = { provider: "anthropic", model: "claude-sonnet-4-5", task_type: "implementation", complexity: "medium" } as const;

/** Every case every engine must pass, written once and run on each engine of ENGINES. */
for (const engine of ENGINES) {
describe.skipIf(engine.skip !== null)(engineTitle(engine, `storage contract: ${engine.name}`), () => {
  const opened: Storage[] = [];
  const databases: EngineDatabase[] = [];
  /** A new, empty, migrated database of this engine. */
  async function open(): Promise<Storage> {
    const database = await freshDatabase(engine.name, "contract");
    databases.push(database);
    const storage = await database.open();
    opened.push(storage);
    return storage;
  }
  /** Another handle on the database the last open() made (another process starting). */
  async function reopen(): Promise<Storage> {
    const storage = await (databases[databases.length - 1] as EngineDatabase).open();
    opened.push(storage);
    return storage;
  }
  /** The store's clock, read on the test's own connection to the last open()'s database: PostgreSQL's, or the host's for SQLite. */
  async function storeClock(): Promise<number> {
    const database = databases[databases.length - 1] as EngineDatabase;
    return engine.name === "postgres" ? (await database.query<{ now: Date }>("SELECT clock_timestamp() AS now"))[0]!.now.getTime() : Date.now();
  }
  afterEach(async () => {
    await Promise.all(opened.splice(0).map((storage) => storage.close()));
    await Promise.all(databases.splice(0).map((database) => database.drop()));
  });

  describe("instances and keys", () => {
    it("creates an instance with its first key and finds both", async () => {
      const storage = await open();
      const { instance, key } = await seedInstance(storage, "alpha");
      expect(await storage.getInstance(instance.id)).toEqual(instance);
      expect(await storage.listInstances()).toEqual([instance]);
      expect(await storage.findApiKeyByHash(key.hash)).toEqual({ ...key, revokedAt: null });
      expect(await storage.getInstance(randomUUID())).toBeNull();
      expect(await storage.findApiKeyByHash("0".repeat(64))).toBeNull();
    });

    it("lists keys of one instance or of all, and keeps an expiry time", async () => {
      const storage = await open();
      const a = await seedInstance(storage, "a");
      const b = await seedInstance(storage, "b");
      const second = { ...makeKey(a.instance.id, new Date("2026-11-28T11:00:00.000Z")), expiresAt: new Date("2027-01-01T00:00:00.000Z") };
      await storage.insertApiKey(second);
      expect((await storage.listApiKeys(a.instance.id)).map((k) => k.id)).toEqual([a.key.id, second.id]);
      expect((await storage.listApiKeys()).map((k) => k.id).sort()).toEqual([a.key.id, b.key.id, second.id].sort());
      expect((await storage.findApiKeyByHash(second.hash))?.expiresAt).toEqual(second.expiresAt);
    });

    it("revokes a key, keeps the first revocation time, and answers null for an unknown key", async () => {
      const storage = await open();
      const { key } = await seedInstance(storage);
      const first = new Date("2026-11-28T13:00:00.000Z");
      expect((await storage.revokeApiKey(key.id, first))?.revokedAt).toEqual(first);
      expect((await storage.revokeApiKey(key.id, new Date("2026-11-28T14:00:00.000Z")))?.revokedAt).toEqual(first);
      expect((await storage.findApiKeyByHash(key.hash))?.revokedAt).toEqual(first);
      expect(await storage.revokeApiKey(randomUUID(), first)).toBeNull();
    });

    it("stores SQL metacharacters in names verbatim", async () => {
      const storage = await open();
      const name = `Robert'); DROP TABLE instances;-- "quoted" \\ % _ ; é 🚀`;
      const { instance } = await seedInstance(storage, name);
      expect((await storage.getInstance(instance.id))?.name).toBe(name);
    });
  });

  describe("events", () => {
    it("accepts new events and answers in order", async () => {
      const storage = await open();
      const { instance } = await seedInstance(storage);
      const events = [makeEvent(instance.id), makeEvent(instance.id), makeEvent(instance.id)];
      expect(await storage.ingestEvents(instance.id, toStore(events), RECEIVED)).toEqual(["accepted", "accepted", "accepted"]);
      expect(await storage.ingestEvents(instance.id, toStore([]), RECEIVED)).toEqual([]);
    });

    it("marks an event sent again in a later call as duplicate and counts it once", async () => {
      const storage = await open();
      const { instance } = await seedInstance(storage);
      const event = makeEvent(instance.id);
      await storage.ingestEvents(instance.id, toStore([event]), RECEIVED);
      const fresh = makeEvent(instance.id);
      expect(await storage.ingestEvents(instance.id, toStore([fresh, event]), RECEIVED)).toEqual(["accepted", "duplicate"]);
      expect((await storage.usage(instance.id)).events).toBe(2);
      expect((await storage.readInstanceAggregates([groupKey(DIMS, 0)])).get(groupKey(DIMS, 0))?.[0]?.events).toBe(2);
    });

    it("stores an event repeated within one call once; later copies are duplicate", async () => {
      const storage = await open();
      const { instance } = await seedInstance(storage);
      const event = makeEvent(instance.id);
      const other = makeEvent(instance.id);
      expect(await storage.ingestEvents(instance.id, toStore([event, other, event, event]), RECEIVED)).toEqual([
        "accepted",
        "accepted",
        "duplicate",
        "duplicate",
      ]);
      expect((await storage.usage(instance.id)).events).toBe(2);
    });

    it("accepts the same event_id from two instances: dedup is per instance", async () => {
      const storage = await open();
      const a = await seedInstance(storage, "a");
      const b = await seedInstance(storage, "b");
      const eventId = randomUUID();
      expect(await storage.ingestEvents(a.instance.id, toStore([makeEvent(a.instance.id, { event_id: eventId })]), RECEIVED)).toEqual(["accepted"]);
      expect(await storage.ingestEvents(b.instance.id, toStore([makeEvent(b.instance.id, { event_id: eventId })]), RECEIVED)).toEqual(["accepted"]);
    });

    it("reports usage: event count, first and last receive time", async () => {
      const storage = await open();
      const { instance } = await seedInstance(storage);
      expect(await storage.usage(instance.id)).toEqual({ events: 0, firstEventAt: null, lastEventAt: null });
      const later = new Date(RECEIVED.getTime() + 60_000);
      await storage.ingestEvents(instance.id, toStore([makeEvent(instance.id), makeEvent(instance.id)]), RECEIVED);
      await storage.ingestEvents(instance.id, toStore([makeEvent(instance.id)]), later);
      expect(await storage.usage(instance.id)).toEqual({ events: 3, firstEventAt: RECEIVED, lastEventAt: later });
    });
  });

  describe("(group, instance) aggregates", () => {
    it("keeps per instance and group: events, sums (an estimate of 0 leaves both sums alone), gate passes, successes, the last receive time", async () => {
      const storage = await open();
      const a = await seedInstance(storage, "a");
      const b = await seedInstance(storage, "b");
      const eventsA = [
        makeEvent(a.instance.id, { estimated_input_tokens: 100, actual_input_tokens: 110, estimated_output_tokens: 10, actual_output_tokens: 12 }),
        makeEvent(a.instance.id, {
          estimated_input_tokens: 200,
          actual_input_tokens: 190,
          estimated_output_tokens: 0, // no estimate: its 450 actual output tokens stay out of both sums
          actual_output_tokens: 450,
          quality_gate_passed: false,
          outcome: "failure",
        }),
      ];
      const eventB = makeEvent(b.instance.id, { estimated_input_tokens: 300, actual_input_tokens: 330, complexity: "high" });
      await storage.ingestEvents(a.instance.id, toStore(eventsA), RECEIVED);
      await storage.ingestEvents(a.instance.id, toStore(eventsA), RECEIVED); // duplicates change nothing
      await storage.ingestEvents(b.instance.id, toStore([eventB]), new Date(RECEIVED.getTime() + 5000));

      const keys = [0, 1, 2, 3].map((level) => groupKey(DIMS, level as 0 | 1 | 2 | 3));
      const groups = await storage.readInstanceAggregates([...keys, '["nobody"]']);
      expect([...groups.keys()].sort()).toEqual([...keys].sort());
      expect(groups.get(keys[0] as string)).toEqual([
        expect.objectContaining({
          instanceId: a.instance.id,
          events: 2,
          sumEstimatedInputTokens: 300,
          sumActualInputTokens: 300,
          sumEstimatedOutputTokens: 10,
          sumActualOutputTokens: 12,
          gatePassed: 1,
          successes: 1,
          lastUpdated: RECEIVED,
        }),
      ]);
      const level1 = [...(groups.get(keys[1] as string) ?? [])].sort((x, y) => (x.instanceId === a.instance.id ? -1 : y.instanceId === a.instance.id ? 1 : 0));
      expect(level1.map((row) => [row.instanceId, row.events, row.sumActualInputTokens, row.lastUpdated])).toEqual([
        [a.instance.id, 2, 300, RECEIVED],
        [b.instance.id, 1, 330, new Date(RECEIVED.getTime() + 5000)],
      ]);
      expect(groups.get(keys[3] as string)?.reduce((sum, row) => sum + row.events, 0)).toBe(3);
      expect(await storage.readInstanceAggregates([])).toEqual(new Map());
    });

    it("adds an instance's batches into one row, and reads one instance's own rows", async () => {
      const storage = await open();
      const a = await seedInstance(storage, "a");
      const b = await seedInstance(storage, "b");
      for (let i = 0; i < 3; i++) await storage.ingestEvents(a.instance.id, toStore([makeEvent(a.instance.id)]), new Date(RECEIVED.getTime() + i));
      await storage.ingestEvents(b.instance.id, toStore([makeEvent(b.instance.id), makeEvent(b.instance.id)]), RECEIVED);
      const key = groupKey(DIMS, 0);
      const rows = (await storage.readInstanceAggregates([key])).get(key) ?? [];
      expect(new Map(rows.map((row) => [row.instanceId, row.events]))).toEqual(new Map([[a.instance.id, 3], [b.instance.id, 2]]));
      const own = await storage.readOwnAggregates(a.instance.id, [key, groupKey(DIMS, 3), '["nobody"]']);
      expect([...own.keys()].sort()).toEqual([key, groupKey(DIMS, 3)].sort());
      expect(own.get(key)).toMatchObject({ instanceId: a.instance.id, events: 3, lastUpdated: new Date(RECEIVED.getTime() + 2) });
      expect(await storage.readOwnAggregates(randomUUID(), [key])).toEqual(new Map());
    });

    it("keeps one bin count per event and metric, in the bin sketchBin names, a sketch widening as values arrive", async () => {
      const storage = await open();
      const { instance } = await seedInstance(storage);
      const values = [0, 1, 5, 1000, 1000, 123_456];
      const events = values.map((v) =>
        makeEvent(instance.id, { actual_input_tokens: v, actual_output_tokens: v * 2, actual_cost_usd_micros: v * 3, task_duration_ms: v + 1 }),
      );
      await storage.ingestEvents(instance.id, toStore(events.slice(0, 3)), RECEIVED);
      await storage.ingestEvents(instance.id, toStore(events.slice(3)), RECEIVED); // past the stored range's top: the sketch widens
      for (const key of groupKeysOfEvent(events[0]!)) {
        const row = (await storage.readInstanceAggregates([key])).get(key)?.[0];
        expect(row?.events).toBe(events.length);
        for (const metric of SKETCH_METRICS) {
          const total = [...(row?.bins[metric].values() ?? [])].reduce((sum, count) => sum + count, 0);
          expect(total, `${key} ${metric}`).toBe(events.length);
        }
        expect(new Map(row?.bins.input_tokens)).toEqual(new Map(values.reduce((bins, v) => bins.set(sketchBin(v), (bins.get(sketchBin(v)) ?? 0) + 1), new Map<number, number>())));
        expect(row?.bins.duration_ms.get(sketchBin(123_457))).toBe(1);
      }
    });

    it("keeps sums of values near 2^53 as doubles instead of overflowing", async () => {
      const storage = await open();
      const { instance } = await seedInstance(storage);
      const big = Number.MAX_SAFE_INTEGER;
      const events = Array.from({ length: 4 }, () => makeEvent(instance.id, { estimated_input_tokens: big, actual_input_tokens: big }));
      expect(await storage.ingestEvents(instance.id, toStore(events), RECEIVED)).toEqual(["accepted", "accepted", "accepted", "accepted"]);
      const row = (await storage.readInstanceAggregates([groupKey(DIMS, 0)])).get(groupKey(DIMS, 0))?.[0];
      expect(row?.sumEstimatedInputTokens).toBeCloseTo(4 * big, -4);
      expect(row?.sumActualInputTokens).toBeCloseTo(4 * big, -4);
    });

    it("stores control characters, U+0000 and SQL metacharacters in a model and finds its group again", async () => {
      const storage = await open();
      const { instance } = await seedInstance(storage);
      const models = ["nul\u0000tab\tline\nend", `o'brien"; DELETE FROM instance_bins;-- \\ % _ ? $1 :name é`];
      for (const model of models) {
        expect(await storage.ingestEvents(instance.id, toStore([makeEvent(instance.id, { model, language: "a\u0000b" })]), RECEIVED)).toEqual(["accepted"]);
        const key = groupKey({ ...DIMS, model }, 0);
        expect((await storage.readInstanceAggregates([key])).get(key)?.[0]?.events).toBe(1);
      }
    });

    it("reads every group's aggregates whole, group by group, across chunk boundaries", async () => {
      const storage = await open();
      // Instances a and b have events in each of 650 models, c in every third: groups of 2 and 3
      // rows, so chunk ends fall inside groups.
      const chunkRows = engine.name === "postgres" ? AGGREGATE_PAGE_ROWS : AGGREGATE_CHUNK_ROWS;
      const instances = [await seedInstance(storage, "a"), await seedInstance(storage, "b"), await seedInstance(storage, "c")];
      const expected = new Map<string, Set<string>>();
      for (const [n, { instance }] of instances.entries()) {
        const models = Array.from({ length: 650 }, (_, i) => i).filter((i) => n < 2 || i % 3 === 0);
        const events = models.flatMap((i) => [0, 1].map(() => makeEvent(instance.id, { model: `m-${i}`, complexity: i % 2 === 0 ? "low" : "high" })));
        await storage.ingestEvents(instance.id, toStore(events), RECEIVED);
        for (const key of events.flatMap((event) => groupKeysOfEvent(event))) expected.set(key, (expected.get(key) ?? new Set()).add(instance.id));
      }
      const handed: { groupKey: string; instances: number }[] = [];
      for await (const group of storage.readAllInstanceAggregates()) handed.push({ groupKey: group.groupKey, instances: group.instances.length });
      expect(new Set(handed.map((group) => group.groupKey)).size).toBe(handed.length); // each group handed over once
      expect(handed).toHaveLength(650 * 3 + 1); // each model has one complexity: 650 groups at levels 0, 1 and 2, one at 3
      expect(new Map(handed.map((group) => [group.groupKey, group.instances]))).toEqual(new Map([...expected].map(([key, ids]) => [key, ids.size])));
      // The read's chunks end inside groups (rows before a group's first < a chunk's end < rows through its last).
      let rows = 0;
      let split = 0;
      for (const group of handed) {
        if (Math.floor(rows / chunkRows) < Math.floor((rows + group.instances - 1) / chunkRows)) split += 1;
        rows += group.instances;
      }
      expect(rows).toBe(1951 * 2 + 217 * 3 + 1);
      expect(split).toBeGreaterThan(3);
      const keys = handed.map((group) => group.groupKey);
      const read = await storage.readInstanceAggregates(keys);
      expect(keys.every((key) => read.get(key)?.length === expected.get(key)?.size)).toBe(true);
    });
  });

  describe("snapshots", () => {
    it("stores a snapshot where none is or the stored one is stale, and answers with what is stored", async () => {
      const storage = await open();
      const at = new Date("2026-11-28T12:00:00.000Z");
      const later = new Date(at.getTime() + 60_000);
      expect(await storage.saveSnapshots([{ groupKey: '["a"]', computedAt: at, body: "first" }], new Date(at.getTime() - 1))).toEqual(
        new Map([['["a"]', { groupKey: '["a"]', computedAt: at, body: "first" }]]),
      );
      // Not stale before `at`: the first stands.
      expect((await storage.saveSnapshots([{ groupKey: '["a"]', computedAt: later, body: "second" }], new Date(at.getTime() - 1))).get('["a"]')?.body).toBe("first");
      expect((await storage.saveSnapshots([{ groupKey: '["a"]', computedAt: later, body: "third" }], at)).get('["a"]')?.body).toBe("third");
      expect((await storage.readSnapshots(['["a"]', '["b"]'])).snapshots).toEqual(new Map([['["a"]', { groupKey: '["a"]', computedAt: later, body: "third" }]]));
    });

    it(`reads snapshots with the store's clock, and tells it alone: ${engine.name === "postgres" ? "the database's, whatever the host's says" : "the host's (one file, one host)"}`, async () => {
      const storage = await open();
      const at = new Date("2026-11-28T12:00:00.000Z");
      await storage.saveSnapshots([{ groupKey: '["a"]', computedAt: at, body: "first" }], at);
      const before = await storeClock();
      const read = await storage.readSnapshots(['["a"]', '["b"]']);
      const told = await storage.clock();
      const after = await storeClock();
      expect(read.snapshots).toEqual(new Map([['["a"]', { groupKey: '["a"]', computedAt: at, body: "first" }]]));
      expect(read.readAt?.getTime()).toBeGreaterThanOrEqual(before);
      expect(told.getTime()).toBeGreaterThanOrEqual(read.readAt?.getTime() ?? Infinity);
      expect(told.getTime()).toBeLessThanOrEqual(after);
      // A process on a host whose clock is two hours ahead.
      vi.useFakeTimers({ toFake: ["Date"], now: Date.now() + 2 * HOUR_MS });
      try {
        const ahead = await storage.readSnapshots(['["a"]']);
        const none = await storage.readSnapshots(['["b"]']);
        expect(none.snapshots.size).toBe(0);
        if (engine.name === "postgres") {
          expect(ahead.readAt?.getTime()).toBeLessThan(Date.now() - HOUR_MS);
          expect((await storage.clock()).getTime()).toBeLessThan(Date.now() - HOUR_MS);
          // The clock comes on the rows read: a read that finds none carries no time.
          expect(none.readAt).toBeNull();
        } else {
          expect([ahead.readAt, await storage.clock(), none.readAt]).toEqual([new Date(), new Date(), new Date()]);
        }
      } finally {
        vi.useRealTimers();
      }
    });

    it("keeps the first noise key offered, for every handle on the database", async () => {
      const first = await open();
      const second = await reopen();
      const keys = await Promise.all([first.noiseKey("key-one"), second.noiseKey("key-two")]);
      expect(new Set(keys).size).toBe(1);
      expect(["key-one", "key-two"]).toContain(keys[0]);
      expect(await second.noiseKey("key-three")).toBe(keys[0]);
    });

    it("hands the refresh lease to one handle at a time, renews it for its holder only, and again once it has run out", async () => {
      const first = await open();
      const second = await reopen();
      const start = new Date("2026-11-28T12:00:00.000Z").getTime();
      const at = (ms: number): Date => new Date(start + ms);
      const taken = await Promise.all([first.takeRefreshLease(HOUR_MS, at(0)), second.takeRefreshLease(HOUR_MS, at(0))]);
      expect(taken.filter((lease) => lease !== null)).toEqual([at(HOUR_MS)]);
      const [holder, other] = taken[0] !== null ? [first, second] : [second, first];
      expect(await other.takeRefreshLease(HOUR_MS, at(HOUR_MS - 1))).toBeNull();
      // Renewed by its holder just before its end: held an hour past the renewal.
      expect(await holder.renewRefreshLease(at(HOUR_MS), HOUR_MS, at(HOUR_MS - 1))).toEqual(at(2 * HOUR_MS - 1));
      expect(await other.takeRefreshLease(HOUR_MS, at(HOUR_MS))).toBeNull();
      // The lease's old end names it no more: it renews and releases nothing.
      expect(await other.renewRefreshLease(at(HOUR_MS), HOUR_MS, at(HOUR_MS))).toBeNull();
      await other.releaseRefreshLease(at(HOUR_MS));
      expect(await other.takeRefreshLease(HOUR_MS, at(2 * HOUR_MS - 2))).toBeNull();
      // Run out: the other handle takes it, and the old holder's renewal finds it lost.
      const next = await other.takeRefreshLease(HOUR_MS, at(2 * HOUR_MS - 1));
      expect(next).toEqual(at(3 * HOUR_MS - 1));
      expect(await holder.renewRefreshLease(at(2 * HOUR_MS - 1), HOUR_MS, at(2 * HOUR_MS))).toBeNull();
      // Given back by its holder (a failed refresh): free at once, at any clock (here the first take's).
      await other.releaseRefreshLease(next as Date);
      expect(await holder.takeRefreshLease(HOUR_MS, at(0))).toEqual(at(HOUR_MS));
    });

    it(`times the lease, when no test clock is given, by ${engine.name === "postgres" ? "the database's clock, whatever the host's says" : "the host's (one file, one host)"}`, async () => {
      const first = await open();
      const second = await reopen();
      const before = await storeClock();
      const lease = (await first.takeRefreshLease(HOUR_MS)) as Date;
      const after = await storeClock();
      expect(lease.getTime()).toBeGreaterThanOrEqual(before + HOUR_MS);
      expect(lease.getTime()).toBeLessThanOrEqual(after + HOUR_MS);
      // A second process on a host whose clock is two hours ahead.
      vi.useFakeTimers({ toFake: ["Date"], now: Date.now() + 2 * HOUR_MS });
      try {
        const ahead = await second.takeRefreshLease(HOUR_MS);
        if (engine.name === "postgres") {
          // The database's clock decides: the lease is still held, and its holder renews it to the database's hour.
          expect(ahead).toBeNull();
          const renewed = (await first.renewRefreshLease(lease, HOUR_MS)) as Date;
          expect(renewed.getTime()).toBeLessThan(Date.now() - HOUR_MS / 2);
        } else {
          // SQLite's processes share the host's clock: moved on two hours, the lease has run out.
          expect(ahead).toEqual(new Date(Date.now() + HOUR_MS));
        }
      } finally {
        vi.useRealTimers();
      }
    });
  });

  describe("lifecycle", () => {
    it("migrates idempotently: a second open of the same database keeps the data", async () => {
      const storage = await open();
      const { instance } = await seedInstance(storage);
      await storage.ingestEvents(instance.id, toStore([makeEvent(instance.id)]), RECEIVED);
      const again = await reopen();
      await again.migrate();
      expect(await again.getInstance(instance.id)).toEqual(instance);
      expect((await again.usage(instance.id)).events).toBe(1);
    });

    it("pings while open; after close, close again is a no-op and calls fail with StorageUnavailableError", async () => {
      const storage = await open();
      await expect(storage.ping()).resolves.toBeUndefined();
      await storage.close();
      await storage.close();
      await expect(storage.ping()).rejects.toBeInstanceOf(StorageUnavailableError);
      await expect(storage.listInstances()).rejects.toBeInstanceOf(StorageUnavailableError);
    });
  });
});
}
