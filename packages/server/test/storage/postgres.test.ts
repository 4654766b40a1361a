import { randomBytes } from "node:crypto";
import pg from "pg";
import { afterAll, describe, expect, it } from "vitest";
import { groupKey } from "../../src/aggregation/group-key.js";
import { migrate, openStorage, type OpenStorageOptions } from "../../src/storage/open-storage.js";
import { SKETCH_METRICS } from "../../src/aggregation/sketch-metrics.js";
import { StorageUnavailableError, type Storage } from "../../src/storage/storage.js";
import { PG_URL, POSTGRES, engineTitle, freshSchema } from "../helpers/engines.js";
import type { TestSchema } from "../helpers/postgres-schema.js";
import { allAggregates, makeEvent, seedInstance } from "./storage-fixtures.js";
import { toStore } from "../helpers/events-to-store.js";

if (POSTGRES.skip) console.warn(`postgres.test.ts: ${POSTGRES.skip}, PostgreSQL storage tests are skipped`);

/**
 * Each case gets its own schema (freshSchema: not freshDatabase, the cases kill backends by
 * application_name and lock tables by schema name); all dropped at the end.
 */
const schemas: TestSchema[] = [];

async function createSchema(): Promise<TestSchema> {
  const schema = await freshSchema("t");
  schemas.push(schema);
  return schema;
}

function schemaUrl(schema: TestSchema): string {
  const target = new URL(schema.url);
  target.searchParams.set("application_name", schema.name);
  return target.toString();
}

function openIn(schema: TestSchema, options?: OpenStorageOptions): Promise<Storage> {
  return openStorage({ engine: "postgres", url: schemaUrl(schema) }, options);
}

describe.skipIf(POSTGRES.skip !== null)(engineTitle(POSTGRES, "PostgreSQL storage"), () => {
  afterAll(async () => {
    for (const schema of schemas.splice(0)) await schema.drop();
  });

  describe("concurrency across processes", () => {
    it("keeps every (group, instance) aggregate and its bins exact under concurrent overlapping batches, without deadlock", async () => {
      const schema = await createSchema();
      const storages = await Promise.all(Array.from({ length: 6 }, () => openIn(schema, { poolSize: 2 })));
      try {
        const instances = await Promise.all(storages.map((storage, i) => seedInstance(storage, `p${i}`)));
        const models = ["m-a", "m-b", "m-c"];
        // Every storage sends 4 batches of 40 events into the same 3 models: all rows overlap.
        const results = await Promise.all(
          storages.flatMap((storage, i) => {
            const id = instances[i]!.instance.id;
            return Array.from({ length: 4 }, (_, b) =>
              storage.ingestEvents(
                id,
                toStore(Array.from({ length: 40 }, (_, e) =>
                  makeEvent(id, { model: models[(e + b) % 3]!, actual_input_tokens: (e * 37 + b * 11 + i) % 900, complexity: e % 2 ? "low" : "high" }),
                )),
                new Date(),
              ),
            );
          }),
        );
        const total = 6 * 4 * 40;
        expect(results.flat().filter((status) => status === "accepted")).toHaveLength(total);

        const providerKey = groupKey({ provider: "anthropic", model: "x", task_type: "implementation", complexity: "low" }, 3);
        const provider = (await storages[0]!.readInstanceAggregates([providerKey])).get(providerKey) ?? [];
        expect(provider.map((row) => row.events)).toEqual(Array(6).fill(160));
        for (const row of provider) {
          for (const metric of SKETCH_METRICS) expect([...row.bins[metric].values()].reduce((a, b) => a + b, 0), metric).toBe(160);
        }
        // Every model and complexity group holds each instance's share, summing to the whole.
        const groups = await allAggregates(storages[0]!);
        const level0 = groups.filter((group) => JSON.parse(group.groupKey).length === 4);
        expect(level0).toHaveLength(6);
        expect(level0.every((group) => group.instances.length === 6)).toBe(true);
      } finally {
        await Promise.all(storages.map((storage) => storage.close()));
      }
    });

    it("stores the same events sent to two processes at once exactly once", async () => {
      const schema = await createSchema();
      const [a, b] = await Promise.all([openIn(schema), openIn(schema)]);
      try {
        const { instance } = await seedInstance(a);
        const events = Array.from({ length: 50 }, () => makeEvent(instance.id));
        const [fromA, fromB] = await Promise.all([
          a.ingestEvents(instance.id, toStore(events), new Date()),
          b.ingestEvents(instance.id, toStore([...events].reverse()), new Date()),
        ]);
        const acceptedIds = [
          ...events.filter((_, i) => fromA[i] === "accepted"),
          ...[...events].reverse().filter((_, i) => fromB[i] === "accepted"),
        ].map((event) => event.event_id);
        expect(acceptedIds.sort()).toEqual(events.map((event) => event.event_id).sort());
        expect((await a.usage(instance.id)).events).toBe(50);
        const key = groupKey(events[0]!, 0);
        const rows = (await b.readInstanceAggregates([key])).get(key) ?? [];
        expect(rows.map((row) => row.events)).toEqual([50]);
        expect([...rows[0]!.bins.duration_ms.values()].reduce((x, y) => x + y, 0)).toBe(50);
      } finally {
        await Promise.all([a.close(), b.close()]);
      }
    });

    it("runs migrations from several processes starting at once without failing", async () => {
      const schema = await createSchema();
      const storages = await Promise.all(Array.from({ length: 4 }, () => openIn(schema, { poolSize: 1 })));
      await Promise.all(storages.map((storage) => storage.close()));
      const { rows } = await schema.admin.query(`SELECT version FROM ${schema.name}.schema_migrations ORDER BY version`);
      expect(rows).toEqual([{ version: 1 }, { version: 2 }, { version: 3 }, { version: 4 }, { version: 5 }, { version: 6 }, { version: 7 }, { version: 8 }, { version: 9 }]);
      expect(await migrate({ engine: "postgres", url: schemaUrl(schema) })).toEqual({ applied: [], version: 9 });
    });

    it("keeps starting on a database a later build migrated, as old processes do during a rolling deploy", async () => {
      const schema = await createSchema();
      await (await openIn(schema)).close();
      await schema.admin.query(`INSERT INTO ${schema.name}.schema_migrations (version, name) VALUES (10, 'from a later build')`);
      const storage = await openIn(schema);
      try {
        const { instance } = await seedInstance(storage);
        expect(await storage.ingestEvents(instance.id, toStore([makeEvent(instance.id)]), new Date())).toEqual(["accepted"]);
      } finally {
        await storage.close();
      }
      expect(await migrate({ engine: "postgres", url: schemaUrl(schema) })).toEqual({ applied: [], version: 10 });
    });
  });

  describe("failures", () => {
    it("maps an unreachable server to StorageUnavailableError without the URL in the message", async () => {
      const dead = "postgres://postgres:s3cret@127.0.0.1:1/none";
      const error = await openStorage({ engine: "postgres", url: dead }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(StorageUnavailableError);
      expect((error as Error).message).not.toContain("s3cret");
    });

    it("maps an unknown database to StorageUnavailableError", async () => {
      const target = new URL(PG_URL as string);
      target.pathname = `/no_such_db_${randomBytes(4).toString("hex")}`;
      await expect(openStorage({ engine: "postgres", url: target.toString() })).rejects.toBeInstanceOf(StorageUnavailableError);
    });

    it("maps a pool wait past connectTimeoutMs to StorageUnavailableError", async () => {
      const schema = await createSchema();
      const storage = await openIn(schema, { poolSize: 1, connectTimeoutMs: 100 });
      const { instance } = await seedInstance(storage);
      const locker = new pg.Client({ connectionString: PG_URL });
      await locker.connect();
      try {
        // Hold a lock the ingest needs, so it keeps the only pooled connection busy.
        await locker.query("BEGIN");
        await locker.query(`LOCK TABLE ${schema.name}.instance_usage IN ACCESS EXCLUSIVE MODE`);
        const blocked = storage.ingestEvents(instance.id, toStore([makeEvent(instance.id)]), new Date());
        await expect(storage.ping()).rejects.toBeInstanceOf(StorageUnavailableError);
        await locker.query("ROLLBACK");
        expect(await blocked).toEqual(["accepted"]);
      } finally {
        await locker.end();
        await storage.close();
      }
    });

    it("survives the server killing its idle connections (57P01) and reconnects", async () => {
      const schema = await createSchema();
      const idleErrors: Error[] = [];
      const storage = await openIn(schema, { onIdleConnectionError: (error) => idleErrors.push(error) });
      try {
        await storage.ping();
        const killed = await schema.admin.query(
          "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = $1 AND pid <> pg_backend_pid()",
          [schema.name],
        );
        expect(killed.rowCount).toBeGreaterThan(0);
        // The idle client's socket error arrives on the next turns of the event loop.
        for (let i = 0; i < 50 && idleErrors.length === 0; i++) await new Promise((resolve) => setTimeout(resolve, 10));
        expect(idleErrors.length).toBeGreaterThan(0);
        await expect(storage.ping()).resolves.toBeUndefined();
      } finally {
        await storage.close();
      }
    });
  });
});
