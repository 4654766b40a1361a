import Database from "better-sqlite3";
import pg from "pg";
import { afterEach, describe, expect, it } from "vitest";
import type { TaskCompletionEvent } from "@mosaicstack/telemetry-protocol";
import { eventJson } from "../../src/storage/event-json.js";
import { POSTGRES_MIGRATIONS } from "../../src/storage/postgres/postgres-migrations.js";
import { PostgresStorage } from "../../src/storage/postgres/postgres-storage.js";
import { SQLITE_MIGRATIONS } from "../../src/storage/sqlite/sqlite-migrations.js";
import { SqliteStorage } from "../../src/storage/sqlite/sqlite-storage.js";
import { ENGINES, engineTitle, freshDatabase, type EngineDatabase } from "../helpers/engines.js";
import { toStore } from "../helpers/events-to-store.js";
import { allAggregates, makeEvent } from "./storage-fixtures.js";

/** Batches of three instances, in no key order, with what a backfill must fold alike: no estimate, U+0000, odd models. */
function batches(): { instanceId: string; receivedAt: Date; events: TaskCompletionEvent[] }[] {
  const instances = ["cccccccc-0000-4000-8000-000000000003", "aaaaaaaa-0000-4000-8000-000000000001", "bbbbbbbb-0000-4000-8000-000000000002"];
  const models = ["claude-sonnet-4-5", "nul\u0000model", `o'brien"; --`];
  return Array.from({ length: 9 }, (_, b) => {
    const instanceId = instances[b % 3] as string;
    return {
      instanceId,
      receivedAt: new Date(Date.UTC(2026, 10, 28, 12, 0, 0) + (b % 4) * 60_000),
      events: Array.from({ length: 40 }, (_, i) =>
        makeEvent(instanceId, {
          model: models[(i + b) % 3] as string,
          complexity: i % 2 === 0 ? "low" : "high",
          estimated_input_tokens: i % 5 === 0 ? 0 : 900 + i,
          estimated_output_tokens: i % 7 === 0 ? 0 : 400 + b,
          actual_input_tokens: i * 997 + b,
          actual_output_tokens: i * 13,
          actual_cost_usd_micros: i % 6 === 0 ? 0 : i * 1234,
          task_duration_ms: 1000 + i * 777,
          quality_gate_passed: i % 4 !== 0,
          outcome: i % 3 === 0 ? "failure" : "success",
        }),
      ),
    };
  });
}

/** Opens `database` at schema version 5 (the build before per-instance aggregates) and stores `events` as that build did. */
async function storeAtVersion5(database: EngineDatabase, stored: ReturnType<typeof batches>): Promise<void> {
  if (database.target.engine === "sqlite") {
    const db = new Database(database.target.path);
    const storage = new SqliteStorage(db, {}, SQLITE_MIGRATIONS.slice(0, 5));
    expect(await storage.applyMigrations()).toEqual({ applied: [1, 2, 3, 4, 5], version: 5 });
    const insert = db.prepare("INSERT INTO events (instance_id, event_id, received_at, timestamp, payload, occurred_at, cost_usd_micros) VALUES (?, ?, ?, ?, ?, ?, ?)");
    for (const { instanceId, receivedAt, events } of stored) {
      for (const event of events) insert.run(instanceId, event.event_id, receivedAt.getTime(), event.timestamp, eventJson(event), Date.parse(event.timestamp), event.actual_cost_usd_micros);
    }
    await storage.close();
    return;
  }
  const pool = new pg.Pool({ connectionString: database.target.url, max: 1 });
  const storage = new PostgresStorage(pool, {}, POSTGRES_MIGRATIONS.slice(0, 5));
  try {
    expect(await storage.applyMigrations()).toEqual({ applied: [1, 2, 3, 4, 5], version: 5 });
    const client = new pg.Client({ connectionString: database.target.url });
    await client.connect();
    try {
      for (const { instanceId, receivedAt, events } of stored) {
        for (const event of events) {
          await client.query('INSERT INTO events (instance_id, event_id, received_at, "timestamp", payload, cost_usd_micros) VALUES ($1, $2, $3, $4, $5, $6)', [
            instanceId,
            event.event_id,
            receivedAt,
            event.timestamp,
            eventJson(event),
            event.actual_cost_usd_micros,
          ]);
        }
      }
    } finally {
      await client.end();
    }
  } finally {
    await storage.close();
  }
}

for (const engine of ENGINES) {
  describe.skipIf(engine.skip !== null)(engineTitle(engine, `migration 6 (per-instance aggregates): ${engine.name}`), () => {
    const databases: EngineDatabase[] = [];
    afterEach(async () => {
      await Promise.all(databases.splice(0).map((database) => database.drop()));
    });

    it("a version 5 database with events migrates to 6 holding exactly the aggregates ingest would have built, without the old tables and indexes", async () => {
      const stored = batches();
      const migrated = await freshDatabase(engine.name, "migrate6");
      const ingested = await freshDatabase(engine.name, "ingest6");
      databases.push(migrated, ingested);
      await storeAtVersion5(migrated, stored);

      const fromMigration = await migrated.open();
      const fromIngest = await ingested.open();
      try {
        for (const { instanceId, receivedAt, events } of stored) {
          expect(await fromIngest.ingestEvents(instanceId, toStore(events), receivedAt)).toEqual(events.map(() => "accepted"));
        }
        const expected = await allAggregates(fromIngest);
        expect(expected).toHaveLength(3 * 2 + 3 + 3 + 1); // 3 models x 2 complexities, 3 models at levels 1 and 2, one provider
        expect(await allAggregates(fromMigration)).toEqual(expected);
        // The migrated database goes on from there like any other.
        const more = stored[0] as (typeof stored)[number];
        const next = makeEvent(more.instanceId);
        await fromMigration.ingestEvents(more.instanceId, toStore([next]), more.receivedAt);
        await fromIngest.ingestEvents(more.instanceId, toStore([next]), more.receivedAt);
        expect(await allAggregates(fromMigration)).toEqual(await allAggregates(fromIngest));
      } finally {
        await Promise.all([fromMigration.close(), fromIngest.close()]);
      }

      const gone = ["aggregate_groups", "group_sketches", "group_bins", "group_instances", "events_dimensions", "events_instance_dimensions"];
      const names =
        engine.name === "sqlite"
          ? (await migrated.query<{ name: string }>("SELECT name FROM sqlite_schema")).map((row) => row.name)
          : (await migrated.query<{ name: string }>("SELECT relname AS name FROM pg_class WHERE relnamespace = current_schema()::regnamespace")).map((row) => row.name);
      expect(names).toContain("instance_aggregates");
      expect(names.filter((name) => gone.includes(name))).toEqual([]);
    });
  });
}
