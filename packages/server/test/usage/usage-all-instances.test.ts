import type { TaskCompletionEvent } from "@mosaicstack/telemetry-protocol";
import { describe, expect, it } from "vitest";
import type { Storage, UsageSeriesQuery } from "../../src/storage/storage.js";
import { ROLLUP_DIMENSIONS, additiveValues } from "../../src/storage/usage-rollup.js";
import { ENGINES, POSTGRES, engineTitle, freshDatabase, insertEventRows, migrateTo, openThenDrop, type EngineName } from "../helpers/engines.js";
import { toStore } from "../helpers/events-to-store.js";
import { seedInstance } from "../storage/storage-fixtures.js";
import { START_MS, expectedSeries, sumsAsExpected, usageEvents } from "./usage-fixtures.js";

/**
 * The all-instances rollup (usage_rollups_all) on both engines: the series read from it equals
 * the per-instance series summed, after concurrent ingest of several instances with duplicates,
 * and after the migration that fills it from the rollups stored before it.
 */

if (POSTGRES.skip) console.warn(`usage-all-instances.test.ts: ${POSTGRES.skip}, the PostgreSQL cases are skipped`);
const HOUR = 3_600_000;
const FROM = START_MS;
const TO = START_MS + 72 * HOUR;


/** A fresh database at the current version. */
async function openFresh(engine: EngineName): Promise<{ storage: Storage; close(): Promise<void> }> {
  return openThenDrop(await freshDatabase(engine, "usage_all"));
}

/**
 * A database holding `events`, stored at version 2 and migrated to version 4 (which builds the
 * per-instance rollups from them), then opened at the current version.
 */
async function fromVersion4(engine: EngineName, events: { instanceId: string; event: TaskCompletionEvent }[]): Promise<{ storage: Storage; close(): Promise<void> }> {
  const database = await freshDatabase(engine, "usage_all_v4");
  await migrateTo(database, 2);
  await insertEventRows(database, events);
  expect(await migrateTo(database, 4)).toEqual({ applied: [3, 4], version: 4 });
  return openThenDrop(database);
}

/** readUsageSeries as `${start ISO}|${group}` → additive values. */
async function rawSeries(storage: Storage, query: UsageSeriesQuery): Promise<Map<string, number[]>> {
  const rows = await storage.readUsageSeries(query);
  return new Map(rows.map((row) => [`${row.bucketStart.toISOString()}|${row.group ?? ""}`, additiveValues(row)]));
}

/** Each instance's series, summed key by key: what the all-instances series must answer. */
async function summedSeries(storage: Storage, instanceIds: readonly string[], query: Omit<UsageSeriesQuery, "instanceId">): Promise<Map<string, number[]>> {
  const total = new Map<string, number[]>();
  for (const instanceId of instanceIds) {
    for (const [key, values] of await rawSeries(storage, { ...query, instanceId })) {
      const sum = total.get(key);
      total.set(key, sum ? sum.map((value, i) => value + (values[i] as number)) : values);
    }
  }
  return total;
}

/** Every grouping and both bucket sizes: the all-instances series equals the instances' series summed. */
async function expectTablesAgree(storage: Storage, instanceIds: readonly string[]): Promise<void> {
  for (const bucket of ["hour", "day"] as const) {
    for (const groupBy of [null, ...ROLLUP_DIMENSIONS]) {
      const query = { from: new Date(FROM), to: new Date(TO), bucket, groupBy };
      expect(await rawSeries(storage, { ...query, instanceId: null }), `${bucket} by ${groupBy}`).toEqual(await summedSeries(storage, instanceIds, query));
    }
  }
}

for (const engine of ENGINES) {
  describe.skipIf(engine.skip !== null)(engineTitle(engine, `all-instances usage rollups on ${engine.name}`), () => {
    it("equal the per-instance rollups summed after concurrent ingest of several instances, duplicates included", async () => {
      const { storage, close } = await openFresh(engine.name);
      try {
        const instances = await Promise.all(["a", "b", "c"].map(async (name) => (await seedInstance(storage, name)).instance.id));
        // The same seed for two instances: their events share hours and dimensions, so rows are shared.
        const events = instances.map((id, i) => usageEvents(id, 300, i === 2 ? 21 : 20));
        const calls: Promise<unknown>[] = [];
        for (let i = 0; i < 300; i += 30) {
          instances.forEach((id, n) => {
            const mine = events[n] as TaskCompletionEvent[];
            calls.push(storage.ingestEvents(id, toStore(mine.slice(i, i + 30)), new Date()));
            // Every event sent again by another call: stored and counted once.
            calls.push(storage.ingestEvents(id, toStore(mine.slice(Math.max(0, i - 15), i + 15)), new Date()));
          });
        }
        await Promise.all(calls);
        await expectTablesAgree(storage, instances);
        const range = { from: FROM, to: TO, bucket: "hour" as const, groupBy: "model" as const };
        const all = await storage.readUsageSeries({ from: new Date(FROM), to: new Date(TO), bucket: "hour", groupBy: "model", instanceId: null });
        expect(new Map(all.map((row) => [`${row.bucketStart.toISOString()}|${row.group ?? ""}`, sumsAsExpected(row)]))).toEqual(expectedSeries(events.flat(), range).series);
      } finally {
        await close();
      }
    });

    it("the migration fills them from the rollups stored before it, and ingest goes on adding to them", async () => {
      const instanceA = "2f0e0d0c-0b0a-4908-8706-050403020100";
      const instanceB = "3f0e0d0c-0b0a-4908-8706-050403020100";
      const events = [
        ...usageEvents(instanceA, 250, 30).map((event) => ({ instanceId: instanceA, event })),
        ...usageEvents(instanceB, 200, 30).map((event) => ({ instanceId: instanceB, event })),
      ];
      const { storage, close } = await fromVersion4(engine.name, events);
      try {
        await expectTablesAgree(storage, [instanceA, instanceB]);
        const more = usageEvents(instanceB, 60, 31);
        await storage.ingestEvents(instanceB, toStore(more), new Date());
        await expectTablesAgree(storage, [instanceA, instanceB]);
        const all = await storage.readUsageSeries({ from: new Date(FROM), to: new Date(TO), bucket: "day", groupBy: null, instanceId: null });
        const expected = expectedSeries([...events.map((e) => e.event), ...more], { from: FROM, to: TO, bucket: "day", groupBy: null }).series;
        expect(new Map(all.map((row) => [`${row.bucketStart.toISOString()}|`, sumsAsExpected(row)]))).toEqual(expected);
      } finally {
        await close();
      }
    });
  });
}
