import { randomBytes, randomUUID } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { POSTGRES_MIGRATIONS } from "../../src/storage/postgres/postgres-migrations.js";
import { aggregateTotals, providerContributors } from "../faults/aggregate-check.js";
import { POSTGRES, engineTitle, freshSchema } from "../helpers/engines.js";
import type { TestSchema } from "../helpers/postgres-schema.js";
import { eventually } from "../faults/tcp-proxy.js";
import { makeEvent, postJson, request } from "../http/test-server.js";
import { ensureBuilt, spawnServer, type SpawnedServer } from "./spawned-server.js";

const redisUrl = process.env["MOSAIC_TEST_REDIS_URL"];
const skip = [POSTGRES.skip, !redisUrl && "MOSAIC_TEST_REDIS_URL is unset"].filter(Boolean).join(", ") || null;
if (skip) console.warn(`two-processes.test.ts: ${skip}, the two-process tests are skipped`);

const ADMIN = `cluster-admin-${randomBytes(12).toString("hex")}`;
/**
 * Sent as the Redis password so the log can be checked for it. This Redis's default user needs
 * none; Redis then accepts the AUTH anyway (ioredis warns that a password was not needed).
 */
const REDIS_PASSWORD = `cluster-redis-secret-${randomBytes(8).toString("hex")}`;
/** Ingest requests per minute per key, shared by both processes through Redis. */
const LIMIT = 12;

/**
 * Two built server processes on two ports, one fresh PostgreSQL schema and one Redis key prefix
 * of this file's own: what operators run behind a load balancer.
 */
describe.skipIf(skip !== null)(engineTitle({ ...POSTGRES, skip }, "two server processes on PostgreSQL + Redis"), () => {
  let dataDir: string | undefined;
  let schema: TestSchema;
  let a: SpawnedServer;
  let b: SpawnedServer;

  beforeAll(async () => {
    ensureBuilt();
    dataDir = mkdtempSync(join(tmpdir(), "mosaic-cluster-")); // here, not at collection: a skipped suite leaves no directory
    // freshSchema, not freshDatabase: the spawned processes get its URL and name through env, the checks read it by name.
    schema = await freshSchema("c");
    const database = new URL(schema.url);
    database.searchParams.set("application_name", schema.name);
    const env = {
      DATABASE_URL: database.toString(),
      REDIS_URL: withPassword(redisUrl as string, REDIS_PASSWORD),
      REDIS_KEY_PREFIX: `${schema.name}:`,
      TELEMETRY_ADMIN_TOKEN: ADMIN,
      DATA_DIR: dataDir,
      RATE_LIMIT_EVENTS_PER_MINUTE: String(LIMIT),
    };
    // Both at the same moment on an empty schema: both run the migrations at start.
    const started = await Promise.allSettled([spawnServer(env), spawnServer(env)]);
    const failed = started.find((result) => result.status === "rejected");
    if (failed) {
      // One did not come up: stop the other, so no server process outlives the test run.
      await Promise.all(started.map((result) => (result.status === "fulfilled" ? result.value.stop() : undefined)));
      throw failed.reason;
    }
    [a, b] = started.map((result) => (result as PromiseFulfilledResult<SpawnedServer>).value) as [SpawnedServer, SpawnedServer];
  }, 60_000);

  afterAll(async () => {
    const codes = await Promise.all([a?.stop(), b?.stop()]);
    await schema?.drop();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
    if (a && b) expect(codes).toEqual([0, 0]); // a clean SIGTERM drain, Redis and PostgreSQL closed
  });

  const createInstance = async (through: SpawnedServer) => {
    const created = await postJson(`${through.url}/v1/admin/instances`, ADMIN, { name: `c-${randomUUID().slice(0, 8)}` });
    expect(created.status).toBe(201);
    return { instanceId: created.body.instance.id as string, key: created.body.api_key.key as string, keyId: created.body.api_key.id as string };
  };
  const ingest = (through: SpawnedServer, key: string, events: unknown[]) => postJson(`${through.url}/v1/events/batch`, key, { events });

  it("applies the migrations once when both start at the same moment, and both are ready with Redis up", async () => {
    const { rows } = await schema.admin.query(`SELECT version FROM ${schema.name}.schema_migrations ORDER BY version`);
    expect(rows.map((row: { version: number }) => row.version)).toEqual(POSTGRES_MIGRATIONS.map((migration) => migration.version));
    for (const server of [a, b]) {
      expect(await request("GET", `${server.url}/readyz`, null)).toMatchObject({ status: 200, body: { storage: "up", redis: "up" } });
    }
    for (const server of [a, b]) {
      expect(server.output()).toContain("redis connected");
      expect(server.output()).toContain("redis://:***@"); // the URL is logged, its password masked
      expect(server.output()).not.toContain(REDIS_PASSWORD);
    }
  });

  it("holds one key's rate limit across both processes", async () => {
    const { instanceId, key } = await createInstance(a);
    // Concurrently, alternating processes: exactly LIMIT pass in all, whichever process counts them.
    const burst = await Promise.all(
      Array.from({ length: LIMIT + 4 }, (_, i) => ingest(i % 2 === 0 ? a : b, key, [makeEvent(instanceId)])),
    );
    const statuses = burst.map((answer) => answer.status);
    expect(statuses.filter((status) => status === 200)).toHaveLength(LIMIT);
    expect(statuses.filter((status) => status === 429)).toHaveLength(4);
    // And each process refuses now: the budget is one, not one per process.
    for (const server of [a, b]) {
      const answer = await ingest(server, key, [makeEvent(instanceId)]);
      expect(answer.status).toBe(429);
      expect(answer.headers.get("retry-after")).toMatch(/^\d+$/);
    }
  });

  it("refuses on the other process, within one second, a key revoked through one", async () => {
    const { instanceId, key, keyId } = await createInstance(a);
    expect((await ingest(b, key, [makeEvent(instanceId)])).status).toBe(200); // B has the key in its cache now
    expect((await request("DELETE", `${a.url}/v1/admin/keys/${keyId}`, ADMIN)).status).toBe(200);
    expect((await ingest(a, key, [makeEvent(instanceId)])).status).toBe(401);
    // Polled, never slept: B must refuse the key before the deadline.
    const refused = await eventually(async () => (await ingest(b, key, [makeEvent(instanceId)])).status === 401, 1000, 10);
    expect(refused).toBe(true);
  });

  it("keeps counts exact under concurrent ingest of overlapping events through both", async () => {
    const instances = await Promise.all(Array.from({ length: 4 }, () => createInstance(a)));
    const before = await aggregateTotals(schema.admin, schema.name);
    const sent = new Set<string>();
    const accepted: string[] = [];
    const duplicates: string[] = [];
    // Each round, each instance's 100 events go to A (first 80) and B (last 80) at the same moment:
    // 60 of them reach both processes at once.
    for (let round = 0; round < 3; round++) {
      const answers = await Promise.all(
        instances.flatMap(({ instanceId, key }) => {
          const events = Array.from({ length: 100 }, (_, i) =>
            makeEvent(instanceId, { model: `m-${i % 3}`, actual_input_tokens: 100 + ((i * 37 + round) % 5000), task_duration_ms: 1000 + i * 13 }),
          );
          for (const event of events) sent.add(event.event_id as string);
          return [ingest(a, key, events.slice(0, 80)), ingest(b, key, [...events.slice(20)].reverse())];
        }),
      );
      for (const answer of answers) {
        expect(answer.status).toBe(200);
        for (const result of answer.body.results as { event_id: string; status: string }[]) {
          (result.status === "accepted" ? accepted : duplicates).push(result.event_id);
        }
      }
    }
    // Every event accepted exactly once, by one process or the other; the other copy is a duplicate.
    expect(accepted.length).toBe(sent.size);
    expect(new Set(accepted).size).toBe(sent.size);
    expect(duplicates.length).toBe(3 * 4 * 60);

    const after = await aggregateTotals(schema.admin, schema.name);
    const added = after.events - before.events;
    expect(added).toBe(sent.size);
    expect(after.usageEvents - before.usageEvents).toBe(added);
    expect(after.level0Events).toBe(after.events);
    for (const metric of ["input_tokens", "output_tokens", "cost_usd_micros", "duration_ms"]) {
      expect(after.binTotals[metric], metric).toBe(after.events);
    }
    expect(after.groupsWithDriftingBins).toEqual([]);
    // Every event of this file shares one top-level group: its contributors count each instance
    // once, whichever process saw the instance first.
    const distinct = await schema.admin.query(`SELECT count(DISTINCT instance_id)::int AS n FROM ${schema.name}.events`);
    expect(await providerContributors(schema.admin, schema.name)).toEqual([distinct.rows[0].n]);
  });
});

function withPassword(url: string, password: string): string {
  const parsed = new URL(url);
  parsed.password = password;
  return parsed.toString();
}
