import type { TaskCompletionEvent } from "@mosaicstack/telemetry-protocol";
import { describe, expect, it } from "vitest";
import type { Storage } from "../../src/storage/storage.js";
import { ROLLUP_DIMENSIONS } from "../../src/storage/usage-rollup.js";
import { ENGINES, POSTGRES, engineTitle, freshDatabase, insertEventRows, migrateTo, openThenDrop, type EngineName } from "../helpers/engines.js";
import { seedInstance } from "../storage/storage-fixtures.js";
import { START_MS, expectedSeries, sumsAsExpected, usageEvents, type ExpectedSums } from "./usage-fixtures.js";
import { toStore } from "../helpers/events-to-store.js";

/**
 * Usage rollups on both engines against real databases: what readUsageSeries answers equals sums
 * computed here from the seeded events, exactly, for every grouping, both bucket sizes and the
 * range's edges; instances see only their own; concurrent ingests keep the rollups equal to the
 * stored events; and the migration builds the same rollups from events stored before it.
 */

if (POSTGRES.skip) console.warn(`usage-storage.test.ts: ${POSTGRES.skip}, the PostgreSQL cases are skipped`);
const HOUR = 3_600_000;

/** A fresh, migrated database; `another` opens a second handle on it (another process); `close` closes all and drops it. */
async function openFresh(engine: EngineName): Promise<{ storage: Storage; another(): Promise<Storage>; close(): Promise<void> }> {
  const database = await freshDatabase(engine, "usage");
  const storage = await database.open();
  const others: Storage[] = [];
  return {
    storage,
    another: async () => others[others.push(await database.open({ poolSize: 2 })) - 1] as Storage,
    close: async () => {
      await Promise.all([storage, ...others].map((s) => s.close()));
      await database.drop();
    },
  };
}

/** A database at schema version 2 holding `events` (rows as version 2 stored them), then migrated by opening it. */
async function migrateFromVersion2(engine: EngineName, events: { instanceId: string; event: TaskCompletionEvent }[]): Promise<{ storage: Storage; close(): Promise<void> }> {
  const database = await freshDatabase(engine, "usage_v2");
  expect(await migrateTo(database, 2)).toEqual({ applied: [1, 2], version: 2 });
  await insertEventRows(database, events);
  return openThenDrop(database);
}

/** readUsageSeries as `${start ISO}|${group}` → sums, plus their sum. */
async function seriesOf(storage: Storage, query: Parameters<Storage["readUsageSeries"]>[0]): Promise<Map<string, ExpectedSums>> {
  const rows = await storage.readUsageSeries(query);
  return new Map(rows.map((row) => [`${row.bucketStart.toISOString()}|${row.group ?? ""}`, sumsAsExpected(row)]));
}

const FROM = START_MS;
const TO = START_MS + 72 * HOUR;

for (const engine of ENGINES) {
  describe.skipIf(engine.skip !== null)(engineTitle(engine, `usage rollups on ${engine.name}`), () => {
    it("answers each bucket and group with the exact sums of the seeded events, hour and day buckets, every dimension", async () => {
      const { storage, close } = await openFresh(engine.name);
      try {
        const { instance } = await seedInstance(storage, "a");
        const events = usageEvents(instance.id, 600, 1);
        // Several calls of several sizes: rows are added to across transactions too.
        for (let i = 0; i < events.length; i += 97) await storage.ingestEvents(instance.id, toStore(events.slice(i, i + 97)), new Date());
        for (const bucket of ["hour", "day"] as const) {
          for (const groupBy of [null, ...ROLLUP_DIMENSIONS]) {
            const expected = expectedSeries(events, { from: FROM, to: TO, bucket, groupBy });
            const got = await seriesOf(storage, { instanceId: instance.id, from: new Date(FROM), to: new Date(TO), bucket, groupBy });
            expect(got, `${bucket} by ${groupBy}`).toEqual(expected.series);
          }
        }
        expect(expectedSeries(events, { from: FROM, to: TO, bucket: "day", groupBy: null }).totals.events).toBe(600);
      } finally {
        await close();
      }
    });

    it("counts an event at a range's start and leaves out one at its end (by the event's own timestamp)", async () => {
      const { storage, close } = await openFresh(engine.name);
      try {
        const { instance } = await seedInstance(storage, "edges");
        const events = usageEvents(instance.id, 300, 2);
        await storage.ingestEvents(instance.id, toStore(events), new Date());
        // Ranges starting and ending mid-data, on hours where events sit at :00:00.000 and :59:59.999.
        for (const [from, to] of [
          [FROM + 5 * HOUR, FROM + 29 * HOUR],
          [FROM + 13 * HOUR, FROM + 14 * HOUR],
          [FROM + 23 * HOUR, FROM + 49 * HOUR],
        ] as const) {
          const expected = expectedSeries(events, { from, to, bucket: "hour", groupBy: null });
          const got = await seriesOf(storage, { instanceId: instance.id, from: new Date(from), to: new Date(to), bucket: "hour", groupBy: null });
          expect(got).toEqual(expected.series);
        }
        // An hour with an event at its very start: counted in [edge, edge + 1h), not in [edge - 1h, edge).
        const edgeHour = events.map((event) => Date.parse(event.timestamp)).find((ms) => ms % HOUR === 0) as number;
        const startsThere = await seriesOf(storage, { instanceId: instance.id, from: new Date(edgeHour), to: new Date(edgeHour + HOUR), bucket: "hour", groupBy: null });
        const endsThere = await seriesOf(storage, { instanceId: instance.id, from: new Date(edgeHour - HOUR), to: new Date(edgeHour), bucket: "hour", groupBy: null });
        expect([...startsThere.keys()]).toEqual([`${new Date(edgeHour).toISOString()}|`]);
        expect([...endsThere.keys()].every((key) => key.startsWith(new Date(edgeHour - HOUR).toISOString()))).toBe(true);
        const onEdge = events.filter((event) => Date.parse(event.timestamp) === edgeHour).length;
        expect(onEdge).toBeGreaterThan(0);
        expect(startsThere.get(`${new Date(edgeHour).toISOString()}|`)?.events).toBe(
          events.filter((event) => Date.parse(event.timestamp) >= edgeHour && Date.parse(event.timestamp) < edgeHour + HOUR).length,
        );
      } finally {
        await close();
      }
    });

    it("reads one instance's rollups only, or every instance's with null", async () => {
      const { storage, close } = await openFresh(engine.name);
      try {
        const a = await seedInstance(storage, "a");
        const b = await seedInstance(storage, "b");
        const eventsA = usageEvents(a.instance.id, 200, 3);
        const eventsB = usageEvents(b.instance.id, 150, 4);
        await Promise.all([storage.ingestEvents(a.instance.id, toStore(eventsA), new Date()), storage.ingestEvents(b.instance.id, toStore(eventsB), new Date())]);
        const query = { from: new Date(FROM), to: new Date(TO), bucket: "day" as const, groupBy: "model" as const };
        const range = { from: FROM, to: TO, bucket: "day" as const, groupBy: "model" as const };
        expect(await seriesOf(storage, { ...query, instanceId: a.instance.id })).toEqual(expectedSeries(eventsA, range).series);
        expect(await seriesOf(storage, { ...query, instanceId: b.instance.id })).toEqual(expectedSeries(eventsB, range).series);
        expect(await seriesOf(storage, { ...query, instanceId: null })).toEqual(expectedSeries([...eventsA, ...eventsB], range).series);

        // The costliest events: of the instance only, costliest first, within the range.
        const top = await storage.readTopEvents({ instanceId: b.instance.id, from: new Date(FROM + 10 * HOUR), to: new Date(FROM + 40 * HOUR), limit: 7 });
        const inRange = eventsB.filter((e) => Date.parse(e.timestamp) >= FROM + 10 * HOUR && Date.parse(e.timestamp) < FROM + 40 * HOUR);
        const costliest = [...inRange].sort((x, y) => y.actual_cost_usd_micros - x.actual_cost_usd_micros).slice(0, 7);
        expect(top.map((t) => t.event["actual_cost_usd_micros"])).toEqual(costliest.map((e) => e.actual_cost_usd_micros));
        expect(top.every((t) => t.instanceId === b.instance.id)).toBe(true);
        const all = await storage.readTopEvents({ instanceId: null, from: new Date(FROM), to: new Date(TO), limit: 5 });
        const both = [...eventsA, ...eventsB].sort((x, y) => y.actual_cost_usd_micros - x.actual_cost_usd_micros).slice(0, 5);
        expect(all.map((t) => t.event["event_id"])).toEqual(both.map((e) => e.event_id));
      } finally {
        await close();
      }
    });

    it("keeps rollups equal to the stored events under concurrent ingest calls sharing transactions (group commit), duplicates included", async () => {
      const { storage, close } = await openFresh(engine.name);
      try {
        const a = await seedInstance(storage, "a");
        const b = await seedInstance(storage, "b");
        const eventsA = usageEvents(a.instance.id, 400, 5);
        const eventsB = usageEvents(b.instance.id, 400, 6);
        // 40 calls at once, each event sent twice by different calls: stored once, counted once.
        const calls: Promise<unknown>[] = [];
        for (let i = 0; i < 400; i += 20) {
          calls.push(storage.ingestEvents(a.instance.id, toStore(eventsA.slice(i, i + 20)), new Date()));
          calls.push(storage.ingestEvents(b.instance.id, toStore(eventsB.slice(i, i + 20)), new Date()));
          calls.push(storage.ingestEvents(a.instance.id, toStore(eventsA.slice(Math.max(0, i - 10), i + 10)), new Date()));
        }
        await Promise.all(calls);
        const range = { from: FROM, to: TO, bucket: "hour" as const, groupBy: "outcome" as const };
        const query = { from: new Date(FROM), to: new Date(TO), bucket: "hour" as const, groupBy: "outcome" as const };
        expect(await seriesOf(storage, { ...query, instanceId: a.instance.id })).toEqual(expectedSeries(eventsA, range).series);
        expect(await seriesOf(storage, { ...query, instanceId: null })).toEqual(expectedSeries([...eventsA, ...eventsB], range).series);
        expect((await storage.usage(a.instance.id)).events).toBe(400);
      } finally {
        await close();
      }
    });

    it("keeps rollups equal to the stored events when several handles (processes) ingest the same instances at once", async () => {
      const { storage, another, close } = await openFresh(engine.name);
      try {
        const a = await seedInstance(storage, "a");
        const handles = [storage, await another(), await another()];
        const events = usageEvents(a.instance.id, 600, 11);
        // Each handle sends every event of its share and half of the next handle's: overlapping copies race.
        await Promise.all(
          handles.map((handle, h) => {
            const calls: Promise<unknown>[] = [];
            for (let i = h * 200; i < h * 200 + 300; i += 25) {
              calls.push(handle.ingestEvents(a.instance.id, toStore(events.slice(i % 600, Math.min(600, (i % 600) + 25))), new Date()));
            }
            return Promise.all(calls);
          }),
        );
        const query = { instanceId: a.instance.id, from: new Date(FROM), to: new Date(TO), bucket: "hour" as const, groupBy: "model" as const };
        expect(await seriesOf(storage, query)).toEqual(expectedSeries(events, { from: FROM, to: TO, bucket: "hour", groupBy: "model" }).series);
        expect((await storage.usage(a.instance.id)).events).toBe(600);
      } finally {
        await close();
      }
    });

    it("migrating a version 2 database builds the rollups of the events it holds, equal to what ingest builds", async () => {
      const instanceA = "0f0e0d0c-0b0a-4908-8706-050403020100";
      const instanceB = "1f0e0d0c-0b0a-4908-8706-050403020100";
      // One model holding U+0000, as builds before the validator's control-character rule stored it.
      const odd = usageEvents(instanceA, 5, 10).map((event) => ({ ...event, model: "odd\u0000model" }));
      const events = [
        ...[...usageEvents(instanceA, 300, 7), ...odd].map((event) => ({ instanceId: instanceA, event })),
        ...usageEvents(instanceB, 200, 8).map((event) => ({ instanceId: instanceB, event })),
      ];
      const migrated = await migrateFromVersion2(engine.name, events);
      const ingested = await openFresh(engine.name);
      try {
        for (const id of [instanceA, instanceB]) {
          await seedInstance(ingested.storage, id, id);
          await ingested.storage.ingestEvents(id, toStore(events.filter((e) => e.instanceId === id).map((e) => e.event)), new Date());
        }
        for (const instanceId of [instanceA, null]) {
          for (const groupBy of [null, "task_type", "harness", "model"] as const) {
            const query = { instanceId, from: new Date(FROM), to: new Date(TO), bucket: "hour" as const, groupBy };
            const mine = events.filter((e) => instanceId === null || e.instanceId === instanceId).map((e) => e.event);
            const expected = expectedSeries(mine, { from: FROM, to: TO, bucket: "hour", groupBy }).series;
            expect(await seriesOf(migrated.storage, query), `backfilled ${instanceId} ${groupBy}`).toEqual(expected);
            expect(await seriesOf(ingested.storage, query), `ingested ${instanceId} ${groupBy}`).toEqual(expected);
          }
        }
        // The costliest-events read works on migrated rows too (their cost column was filled from the payload).
        const top = await migrated.storage.readTopEvents({ instanceId: instanceA, from: new Date(FROM), to: new Date(TO), limit: 3 });
        const costliest = events.filter((e) => e.instanceId === instanceA).map((e) => e.event).sort((x, y) => y.actual_cost_usd_micros - x.actual_cost_usd_micros);
        expect(top.map((t) => t.event["event_id"])).toEqual(costliest.slice(0, 3).map((e) => e.event_id));
        // And ingest goes on adding to backfilled rows.
        const more = usageEvents(instanceA, 50, 9);
        await migrated.storage.ingestEvents(instanceA, toStore(more), new Date());
        const query = { instanceId: instanceA, from: new Date(FROM), to: new Date(TO), bucket: "day" as const, groupBy: null };
        const mine = [...events.filter((e) => e.instanceId === instanceA).map((e) => e.event), ...more];
        expect(await seriesOf(migrated.storage, query)).toEqual(expectedSeries(mine, { from: FROM, to: TO, bucket: "day", groupBy: null }).series);
      } finally {
        await Promise.all([migrated.close(), ingested.close()]);
      }
    });
  });
}
