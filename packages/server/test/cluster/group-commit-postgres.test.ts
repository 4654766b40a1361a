import { randomBytes } from "node:crypto";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openStorage } from "../../src/storage/open-storage.js";
import { PostgresStorage } from "../../src/storage/postgres/postgres-storage.js";
import { SKETCH_METRICS } from "../../src/aggregation/sketch-metrics.js";
import { type Storage } from "../../src/storage/storage.js";
import { makeEvent, seedInstance } from "../storage/storage-fixtures.js";
import { aggregateTotals, providerContributors, sketchTotals } from "../faults/aggregate-check.js";
import { POSTGRES, engineTitle, freshSchema } from "../helpers/engines.js";
import type { TestSchema } from "../helpers/postgres-schema.js";
import { toStore } from "../helpers/events-to-store.js";

if (POSTGRES.skip) console.warn(`group-commit-postgres.test.ts: ${POSTGRES.skip}, these tests are skipped`);
// freshSchema, not freshDatabase: the checks read the schema's tables by name (faults/aggregate-check.ts).

/** Ingest calls issued together in one process share transactions: the answers must not notice. */
describe.skipIf(POSTGRES.skip !== null)(engineTitle(POSTGRES, "PostgreSQL ingest, calls grouped into one transaction"), () => {
  let schema: TestSchema;
  let storage: Storage;

  beforeAll(async () => {
    schema = await freshSchema("g");
    storage = await openStorage({ engine: "postgres", url: schema.url });
  });
  afterAll(async () => {
    await storage?.close();
    await schema?.drop();
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
    const answers = await Promise.all(calls.map((call) => storage.ingestEvents(call.id, toStore(call.events), new Date())));

    const acceptedIds = calls.flatMap((call, c) => call.events.filter((_, e) => answers[c]![e] === "accepted").map((event) => event.event_id));
    expect(new Set(acceptedIds).size).toBe(acceptedIds.length);
    const distinct = new Set(calls.flatMap((call) => call.events.map((event) => event.event_id)));
    expect(acceptedIds.length).toBe(distinct.size);
    expect(distinct.size).toBe(30 + 4 * 5 + 2 * 4 * 20);

    const totals = await aggregateTotals(schema.admin, schema.name);
    expect(totals.events).toBe(distinct.size);
    expect(totals.usageEvents).toBe(distinct.size);
    expect(totals.groupsWithDriftingBins).toEqual([]);
    for (const metric of SKETCH_METRICS) expect(totals.binTotals[metric]).toBe(distinct.size);
    expect((await storage.usage(ids[0] as string)).events).toBe(50);
    expect((await storage.usage(ids[1] as string)).events).toBe(80);
    expect(await providerContributors(schema.admin, schema.name)).toEqual([3]);
  });

  it("fails only the call whose data PostgreSQL refuses when calls were grouped", async () => {
    const { instance } = await seedInstance(storage, "bad-data");
    const good = Array.from({ length: 3 }, () => Array.from({ length: 10 }, () => makeEvent(instance.id)));
    // Year 0 is a valid string to the storage layer but not a PostgreSQL timestamp.
    const bad = [makeEvent(instance.id, { timestamp: "0000-01-01T00:00:00.000Z" })];
    const first = storage.ingestEvents(instance.id, toStore([makeEvent(instance.id)]), new Date());
    const results = await Promise.allSettled([first, ...[good[0]!, bad, good[1]!, good[2]!].map((events) => storage.ingestEvents(instance.id, toStore(events), new Date()))]);
    expect(results.map((result) => result.status)).toEqual(["fulfilled", "fulfilled", "rejected", "fulfilled", "fulfilled"]);
    expect((await storage.usage(instance.id)).events).toBe(31);
  });
});

/** A storage that reports how many calls each ingest transaction wrote, so a test can see the grouping. */
describe.skipIf(POSTGRES.skip !== null)(engineTitle(POSTGRES, "PostgreSQL ingest, inside one group"), () => {
  let schema: TestSchema;
  let pool: pg.Pool;
  let storage: PostgresStorage;
  const transactions: number[] = [];

  beforeAll(async () => {
    schema = await freshSchema("h");
    pool = new pg.Pool({ connectionString: schema.url, max: 4 });
    storage = new PostgresStorage(pool, { onIngestTransaction: (calls) => transactions.push(calls) });
    await storage.applyMigrations();
  });
  afterAll(async () => {
    await storage?.close();
    await schema?.drop();
  });

  /** Starts a call that runs alone, so the calls made right after it queue and share the next transaction. */
  const occupy = (instanceId: string) => storage.ingestEvents(instanceId, toStore([makeEvent(instanceId, { model: `warm-${randomBytes(3).toString("hex")}` })]), new Date());

  it("answers one accepted and one duplicate when two calls of one group carry the same new event_id, and counts it once", async () => {
    const { instance } = await seedInstance(storage, "same-id");
    const model = `same-${randomBytes(4).toString("hex")}`;
    const twin = makeEvent(instance.id, { model });
    const before = transactions.length;
    const first = occupy(instance.id);
    const calls = [
      storage.ingestEvents(instance.id, toStore([twin, makeEvent(instance.id, { model })]), new Date()),
      storage.ingestEvents(instance.id, toStore([makeEvent(instance.id, { model }), twin]), new Date()),
    ];
    await first;
    const [a, b] = await Promise.all(calls);
    expect(transactions.slice(before)).toEqual([1, 2]); // the two calls shared one transaction
    expect([a![0], b![1]].sort()).toEqual(["accepted", "duplicate"]);
    expect([a![1], b![0]]).toEqual(["accepted", "accepted"]);

    const stored = await schema.admin.query(`SELECT count(*)::int AS n FROM ${schema.name}.events WHERE event_id = $1`, [twin.event_id]);
    expect(stored.rows[0].n).toBe(1);
    expect((await storage.usage(instance.id)).events).toBe(4); // the occupying event + three distinct
    // The model's groups (levels 0-2; level 3 is the provider alone, shared with the occupying call).
    const groups = await schema.admin.query(
      `SELECT json_array_length(group_key::json) AS dimensions, events::int AS events FROM ${schema.name}.instance_aggregates WHERE group_key LIKE $1 ORDER BY 1 DESC`,
      [`%"${model}"%`],
    );
    expect(groups.rows).toEqual([4, 3, 2].map((dimensions) => ({ dimensions, events: 3 })));
    const bins = await sketchTotals(schema.admin, schema.name, "group_key = $1", [JSON.stringify([twin.provider, model])]);
    expect(bins.map(({ totals }) => totals)).toEqual([Object.fromEntries(SKETCH_METRICS.map((metric) => [metric, 3]))]);
  });

  it("sets last_updated per (group, instance) row: a row only an earlier call of the group touched keeps that call's time", async () => {
    const { instance } = await seedInstance(storage, "last-updated");
    const early = new Date("2026-11-29T08:00:00.000Z");
    const late = new Date("2026-11-29T09:00:00.000Z");
    const earlyModel = `early-${randomBytes(4).toString("hex")}`;
    const lateModel = `late-${randomBytes(4).toString("hex")}`;
    const before = transactions.length;
    const first = occupy(instance.id);
    const calls = [
      storage.ingestEvents(instance.id, toStore([makeEvent(instance.id, { model: earlyModel })]), early),
      storage.ingestEvents(instance.id, toStore([makeEvent(instance.id, { model: lateModel })]), late),
    ];
    await Promise.all([first, ...calls]);
    expect(transactions.slice(before)).toEqual([1, 2]);
    // Levels 0-2 of each model are its own rows (level 3, the provider alone, is shared with every call).
    const rows = await schema.admin.query(`SELECT group_key, last_updated FROM ${schema.name}.instance_aggregates WHERE group_key LIKE $1 OR group_key LIKE $2`, [
      `%"${earlyModel}"%`,
      `%"${lateModel}"%`,
    ]);
    expect(rows.rows).toHaveLength(6);
    for (const row of rows.rows as { group_key: string; last_updated: Date }[]) {
      const expected = row.group_key.includes(earlyModel) ? early : late;
      expect([row.group_key, row.last_updated.toISOString()]).toEqual([row.group_key, expected.toISOString()]);
    }
  });
});
