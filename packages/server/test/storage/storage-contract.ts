import { randomUUID } from "node:crypto";
import { afterEach, describe, expect, it } from "vitest";
import { groupKey, groupKeysOfEvent } from "../../src/aggregation/group-key.js";
import { sketchBin } from "../../src/aggregation/sketch-mapping.js";
import { SKETCH_METRICS } from "../../src/aggregation/sketch-metrics.js";
import { StorageUnavailableError, type Storage } from "../../src/storage/storage.js";
import { makeEvent, makeKey, seedInstance } from "./storage-fixtures.js";
import { toStore } from "../helpers/events-to-store.js";

/**
 * How the contract suite gets storage: `fresh` opens a new, empty, migrated database for one case;
 * `reopen` opens another handle on the database the last `fresh` made (another process starting).
 */
export interface StorageHarness {
  fresh(): Promise<Storage>;
  reopen(): Promise<Storage>;
}

const RECEIVED = new Date("2026-11-28T12:30:00.000Z");
const DIMS = { provider: "anthropic", model: "claude-sonnet-4-5", task_type: "implementation", complexity: "medium" } as const;

/** Every case every engine must pass. Written once; sqlite.test.ts and postgres.test.ts run it. */
export function storageContract(harness: StorageHarness): void {
  const opened: Storage[] = [];
  async function open(): Promise<Storage> {
    const storage = await harness.fresh();
    opened.push(storage);
    return storage;
  }
  async function reopen(): Promise<Storage> {
    const storage = await harness.reopen();
    opened.push(storage);
    return storage;
  }
  afterEach(async () => {
    await Promise.all(opened.splice(0).map((storage) => storage.close()));
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
      expect((await storage.readGroups([groupKey(DIMS, 0)])).get(groupKey(DIMS, 0))?.events).toBe(2);
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

  describe("aggregates", () => {
    it("counts events, distinct contributors, sums, gate passes and successes at every level", async () => {
      const storage = await open();
      const a = await seedInstance(storage, "a");
      const b = await seedInstance(storage, "b");
      const eventsA = [
        makeEvent(a.instance.id, { estimated_input_tokens: 100, actual_input_tokens: 110, estimated_output_tokens: 10, actual_output_tokens: 12 }),
        makeEvent(a.instance.id, {
          estimated_input_tokens: 200,
          actual_input_tokens: 190,
          estimated_output_tokens: 500,
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
      const groups = await storage.readGroups(keys);
      const level0 = groups.get(keys[0] as string);
      expect(level0).toMatchObject({
        level: 0,
        parentKey: keys[1],
        events: 2,
        contributors: 1,
        sumEstimatedInputTokens: 300,
        sumActualInputTokens: 300,
        sumEstimatedOutputTokens: 510,
        sumActualOutputTokens: 462,
        gatePassed: 1,
        successes: 1,
        lastUpdated: RECEIVED,
      });
      const level1 = groups.get(keys[1] as string);
      expect(level1).toMatchObject({ level: 1, parentKey: keys[2], events: 3, contributors: 2, sumEstimatedInputTokens: 600, sumActualInputTokens: 630, gatePassed: 2, successes: 2 });
      expect(level1?.lastUpdated).toEqual(new Date(RECEIVED.getTime() + 5000));
      expect(groups.get(keys[3] as string)).toMatchObject({ level: 3, parentKey: null, events: 3, contributors: 2 });
    });

    it("counts an instance once as a contributor however many batches it sends", async () => {
      const storage = await open();
      const a = await seedInstance(storage, "a");
      const b = await seedInstance(storage, "b");
      for (let i = 0; i < 3; i++) await storage.ingestEvents(a.instance.id, toStore([makeEvent(a.instance.id)]), RECEIVED);
      await storage.ingestEvents(b.instance.id, toStore([makeEvent(b.instance.id), makeEvent(b.instance.id)]), RECEIVED);
      const key = groupKey(DIMS, 0);
      expect((await storage.readGroups([key])).get(key)).toMatchObject({ events: 5, contributors: 2 });
      expect((await storage.readInstanceCounts([key])).get(key)).toEqual(new Map([[a.instance.id, 3], [b.instance.id, 2]]));
    });

    it("stores control characters and U+0000 in free-text fields and finds the group again", async () => {
      const storage = await open();
      const { instance } = await seedInstance(storage);
      const model = "nul\u0000tab\tline\nend";
      expect(await storage.ingestEvents(instance.id, toStore([makeEvent(instance.id, { model, language: "a\u0000b" })]), RECEIVED)).toEqual(["accepted"]);
      const key = groupKey({ ...DIMS, model }, 0);
      expect((await storage.readGroups([key])).get(key)?.events).toBe(1);
    });

    it("keeps one bin count per event and metric, in the bin sketchBin names", async () => {
      const storage = await open();
      const { instance } = await seedInstance(storage);
      const events = [0, 1, 5, 1000, 1000, 123_456].map((v) =>
        makeEvent(instance.id, { actual_input_tokens: v, actual_output_tokens: v * 2, actual_cost_usd_micros: v * 3, task_duration_ms: v + 1 }),
      );
      await storage.ingestEvents(instance.id, toStore(events), RECEIVED);
      for (const key of groupKeysOfEvent(events[0]!)) {
        const group = (await storage.readGroups([key])).get(key);
        expect(group?.events).toBe(events.length);
        for (const metric of SKETCH_METRICS) {
          const total = [...(group?.bins[metric].values() ?? [])].reduce((sum, count) => sum + count, 0);
          expect(total, `${key} ${metric}`).toBe(events.length);
        }
        expect(group?.bins.input_tokens.get(sketchBin(1000))).toBe(2);
        expect(group?.bins.input_tokens.get(sketchBin(0))).toBe(1);
        expect(group?.bins.duration_ms.get(sketchBin(123_457))).toBe(1);
      }
    });

    it("keeps sums of values near 2^53 as doubles instead of overflowing", async () => {
      const storage = await open();
      const { instance } = await seedInstance(storage);
      const big = Number.MAX_SAFE_INTEGER;
      const events = Array.from({ length: 4 }, () => makeEvent(instance.id, { estimated_input_tokens: big, actual_output_tokens: big }));
      expect(await storage.ingestEvents(instance.id, toStore(events), RECEIVED)).toEqual(["accepted", "accepted", "accepted", "accepted"]);
      const group = (await storage.readGroups([groupKey(DIMS, 0)])).get(groupKey(DIMS, 0));
      expect(group?.sumEstimatedInputTokens).toBeCloseTo(4 * big, -4);
      expect(group?.sumActualOutputTokens).toBeCloseTo(4 * big, -4);
    });

    it("lists child summaries of parents and per-instance counts", async () => {
      const storage = await open();
      const a = await seedInstance(storage, "a");
      const b = await seedInstance(storage, "b");
      await storage.ingestEvents(a.instance.id, toStore([makeEvent(a.instance.id), makeEvent(a.instance.id, { complexity: "low" })]), RECEIVED);
      await storage.ingestEvents(b.instance.id, toStore([makeEvent(b.instance.id, { model: "claude-opus-4" })]), RECEIVED);

      const parent = groupKey(DIMS, 1);
      const children = await storage.readChildSummaries([parent]);
      expect(children.map((c) => c.groupKey).sort()).toEqual([groupKey(DIMS, 0), groupKey({ ...DIMS, complexity: "low" }, 0)].sort());
      expect(children.every((c) => c.parentKey === parent && c.level === 0 && c.events === 1)).toBe(true);

      const providerKey = groupKey(DIMS, 3);
      const modelChildren = await storage.readChildSummaries([providerKey]);
      expect(modelChildren.map((c) => [c.groupKey, c.events]).sort()).toEqual(
        [[groupKey(DIMS, 2), 2], [groupKey({ ...DIMS, model: "claude-opus-4" }, 2), 1]].sort(),
      );
      expect(await storage.readChildSummaries(['["nobody"]'])).toEqual([]);

      const counts = await storage.readInstanceCounts([providerKey, groupKey(DIMS, 0), '["nobody"]']);
      expect(counts.get(providerKey)).toEqual(new Map([[a.instance.id, 2], [b.instance.id, 1]]));
      expect(counts.get(groupKey(DIMS, 0))).toEqual(new Map([[a.instance.id, 1]]));
      expect(counts.has('["nobody"]')).toBe(false);
    });

    it("answers only groups that exist, and stores model names with SQL metacharacters verbatim", async () => {
      const storage = await open();
      const { instance } = await seedInstance(storage);
      const model = `o'brien"; DELETE FROM group_bins;-- \\ % _ ? $1 :name é`;
      await storage.ingestEvents(instance.id, toStore([makeEvent(instance.id, { model })]), RECEIVED);
      const key = groupKey({ ...DIMS, model }, 0);
      const groups = await storage.readGroups([key, '["nobody"]']);
      expect([...groups.keys()]).toEqual([key]);
      expect(groups.get(key)?.events).toBe(1);
      expect(await storage.readGroups([])).toEqual(new Map());
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
}
