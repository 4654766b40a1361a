import { randomBytes } from "node:crypto";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openStorage } from "../../src/storage/open-storage.js";
import { SKETCH_METRICS, type Storage } from "../../src/storage/storage.js";
import { makeEvent, seedInstance } from "../storage/storage-fixtures.js";
import { aggregateTotals } from "../faults/aggregate-check.js";

const url = process.env["MOSAIC_TEST_DATABASE_URL"];
if (!url) console.warn("group-commit-postgres.test.ts: MOSAIC_TEST_DATABASE_URL is unset, these tests are skipped");

/** Ingest calls issued together in one process share transactions: the answers must not notice. */
describe.skipIf(!url)(`PostgreSQL ingest, calls grouped into one transaction${url ? "" : " (skipped: set MOSAIC_TEST_DATABASE_URL to run)"}`, () => {
  const schema = `g_${randomBytes(6).toString("hex")}`;
  let admin: pg.Client;
  let storage: Storage;

  beforeAll(async () => {
    admin = new pg.Client({ connectionString: url });
    await admin.connect();
    await admin.query(`CREATE SCHEMA ${schema}`);
    const target = new URL(url as string);
    target.searchParams.set("options", `-c search_path=${schema}`);
    storage = await openStorage({ engine: "postgres", url: target.toString() });
  });
  afterAll(async () => {
    await storage?.close();
    await admin?.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
    await admin?.end();
  });

  it("answers each call for itself: one accepted copy per event across calls of one group, exact aggregates and contributors", async () => {
    const seeded = await Promise.all([0, 1, 2].map((i) => seedInstance(storage, `g${i}`)));
    const ids = seeded.map((s) => s.instance.id);
    const shared = Array.from({ length: 30 }, () => makeEvent(ids[0] as string));
    // Twelve calls at once: instance 0 sends the same 30 events in four calls (plus 5 new each),
    // instances 1 and 2 send their own; some calls repeat an event_id inside themselves too.
    const calls = [
      ...[0, 1, 2, 3].map(() => ({ id: ids[0] as string, events: [...shared, ...Array.from({ length: 5 }, () => makeEvent(ids[0] as string))] })),
      ...[1, 2].flatMap((i) =>
        Array.from({ length: 4 }, () => {
          const own = Array.from({ length: 20 }, () => makeEvent(ids[i] as string));
          return { id: ids[i] as string, events: [...own, own[0]!] };
        }),
      ),
    ];
    const answers = await Promise.all(calls.map((call) => storage.ingestEvents(call.id, call.events, new Date())));

    const acceptedIds = calls.flatMap((call, c) => call.events.filter((_, e) => answers[c]![e] === "accepted").map((event) => event.event_id));
    expect(new Set(acceptedIds).size).toBe(acceptedIds.length);
    const distinct = new Set(calls.flatMap((call) => call.events.map((event) => event.event_id)));
    expect(acceptedIds.length).toBe(distinct.size);
    expect(distinct.size).toBe(30 + 4 * 5 + 2 * 4 * 20);

    const totals = await aggregateTotals(admin, schema);
    expect(totals.events).toBe(distinct.size);
    expect(totals.usageEvents).toBe(distinct.size);
    expect(totals.groupsWithDriftingBins).toEqual([]);
    for (const metric of SKETCH_METRICS) expect(totals.binTotals[metric]).toBe(distinct.size);
    expect((await storage.usage(ids[0] as string)).events).toBe(50);
    expect((await storage.usage(ids[1] as string)).events).toBe(80);
    const top = await admin.query(`SELECT contributors::int AS n FROM ${schema}.aggregate_groups WHERE level = 3`);
    expect(top.rows).toEqual([{ n: 3 }]);
  });

  it("fails only the call whose data PostgreSQL refuses when calls were grouped", async () => {
    const { instance } = await seedInstance(storage, "bad-data");
    const good = Array.from({ length: 3 }, () => Array.from({ length: 10 }, () => makeEvent(instance.id)));
    // Year 0 is a valid string to the storage layer but not a PostgreSQL timestamp.
    const bad = [makeEvent(instance.id, { timestamp: "0000-01-01T00:00:00.000Z" })];
    const first = storage.ingestEvents(instance.id, [makeEvent(instance.id)], new Date());
    const results = await Promise.allSettled([first, ...[good[0]!, bad, good[1]!, good[2]!].map((events) => storage.ingestEvents(instance.id, events, new Date()))]);
    expect(results.map((result) => result.status)).toEqual(["fulfilled", "fulfilled", "rejected", "fulfilled", "fulfilled"]);
    expect((await storage.usage(instance.id)).events).toBe(31);
  });
});
