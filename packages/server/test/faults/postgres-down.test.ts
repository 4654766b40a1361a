import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { makeEvent, postJson, request } from "../http/test-server.js";
import { PG_URL, POSTGRES, engineTitle, freshSchema } from "../helpers/engines.js";
import type { TestSchema } from "../helpers/postgres-schema.js";
import { aggregateTotals } from "./aggregate-check.js";
import { eventually, TcpProxy } from "./tcp-proxy.js";
import { createInstance, readyz, sendOne, startLoggedServer, type LoggedServer } from "./fault-servers.js";

if (POSTGRES.skip) console.warn(`postgres-down.test.ts: ${POSTGRES.skip}, the PostgreSQL-outage tests are skipped`);

/**
 * One server on its own schema, reaching PostgreSQL through a proxy the test cuts (destroying
 * live sockets) and restores, and whose backends the test terminates (found by application_name):
 * a database restart as the server sees it, without restarting the machine's PostgreSQL.
 */
describe.skipIf(POSTGRES.skip !== null)(engineTitle(POSTGRES, "PostgreSQL unreachable"), () => {
  let schema: TestSchema;
  let proxy: TcpProxy;
  let server: LoggedServer;

  beforeAll(async () => {
    // Its own schema and proxy, not freshDatabase: the server must reach PostgreSQL through the proxy, and the checks read the schema by name.
    schema = await freshSchema("f");
    const target = new URL(PG_URL as string);
    proxy = await TcpProxy.start(target.hostname, Number(target.port || 5432));
    const viaProxy = new URL(proxy.rewrite(schema.url));
    viaProxy.searchParams.set("application_name", schema.name);
    server = await startLoggedServer({ DATABASE_URL: viaProxy.toString(), RATE_LIMIT_EVENTS_PER_MINUTE: "100000", DATABASE_QUERY_TIMEOUT_MS: "3000" });
  });
  afterAll(async () => {
    await server?.server.stop();
    await proxy?.close();
    await schema?.drop();
  });

  const terminateServerBackends = async () =>
    (await schema.admin.query("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = $1", [schema.name])).rowCount ?? 0;

  it("answers 503 with Retry-After on data routes and fails readyz while the database is unreachable, stays up, and recovers by itself", async () => {
    const { instanceId, key } = await createInstance(server.url);
    expect(await sendOne(server.url, key, instanceId)).toBe(200); // the key is cached: ingest reaches the database

    proxy.cut();
    const ingest = await postJson(`${server.url}/v1/events/batch`, key, { events: [makeEvent(instanceId)] });
    expect(ingest.status).toBe(503);
    expect(ingest.body.error.code).toBe("storage_unavailable");
    expect(ingest.headers.get("retry-after")).toMatch(/^[1-9]\d*$/);
    const predictions = await postJson(`${server.url}/v1/predictions/batch`, key, {
      queries: [{ task_type: "implementation", model: "claude-sonnet-4-5", provider: "anthropic", complexity: "medium" }],
    });
    expect(predictions.status).toBe(503);
    expect(predictions.headers.get("retry-after")).toMatch(/^[1-9]\d*$/);
    const ready = await readyz(server.url);
    expect(ready.status).toBe(503);
    expect(ready.body.error.code).toBe("storage_unavailable");
    expect((await request("GET", `${server.url}/healthz`, null)).status).toBe(200);
    expect(JSON.stringify(ingest.body)).not.toMatch(/127\.0\.0\.1|postgres:|password/i);

    proxy.restore();
    expect(await eventually(async () => (await readyz(server.url)).status === 200, 10_000, 50)).toBe(true);
    expect(await sendOne(server.url, key, instanceId)).toBe(200);
  });

  it("answers 503 (not a hang) while the database stalls (connections open, no bytes), loses no accepted event, and recovers when the stall ends", async () => {
    const { instanceId, key } = await createInstance(server.url);
    expect(await sendOne(server.url, key, instanceId)).toBe(200); // key cached, pooled connections open
    const batches = Array.from({ length: 20 }, () => Array.from({ length: 3 }, () => makeEvent(instanceId)));
    proxy.stall();
    let stalled: { status: number; headers: Headers }[];
    try {
      // Without a read timeout and a bounded queue none of these settled while the stall lasted.
      // Each must settle by itself (the test's own timeout is the generous bound), with a 503.
      stalled = await Promise.all(batches.map((events) => postJson(`${server.url}/v1/events/batch`, key, { events })));
      expect((await readyz(server.url)).status).toBe(503);
    } finally {
      proxy.unstall();
    }
    expect(stalled.map((answer) => answer.status)).toEqual(batches.map(() => 503));
    for (const answer of stalled) expect(answer.headers.get("retry-after")).toMatch(/^[1-9]\d*$/);

    expect(await eventually(async () => (await sendOne(server.url, key, instanceId)) === 200, 20_000, 100)).toBe(true);
    // The SDK resends refused batches: every event ends stored exactly once, its aggregates with it.
    const accepted: string[] = [];
    for (const events of batches) {
      const answer = await postJson(`${server.url}/v1/events/batch`, key, { events });
      expect(answer.status).toBe(200);
      for (const result of answer.body.results as { event_id: string; status: string }[]) {
        expect(["accepted", "duplicate"]).toContain(result.status);
        if (result.status === "accepted") accepted.push(result.event_id);
      }
    }
    const stored = await schema.admin.query(`SELECT event_id FROM ${schema.name}.events WHERE event_id = ANY ($1::text[])`, [batches.flat().map((event) => event.event_id)]);
    expect(stored.rows.length).toBe(batches.flat().length);
    expect(accepted.every((id) => stored.rows.some((row: { event_id: string }) => row.event_id === id))).toBe(true);
    const totals = await aggregateTotals(schema.admin, schema.name);
    expect(totals.usageEvents).toBe(totals.events);
    expect(totals.level0Events).toBe(totals.events);
    expect(totals.groupsWithDriftingBins).toEqual([]);
  }, 90_000);

  it("survives its connections being terminated (pg_terminate_backend) and serves again", async () => {
    const { instanceId, key } = await createInstance(server.url);
    expect(await sendOne(server.url, key, instanceId)).toBe(200);
    expect(await terminateServerBackends()).toBeGreaterThan(0);
    // At most the requests that held a dead connection fail (503); the pool opens new ones.
    expect(await eventually(async () => (await sendOne(server.url, key, instanceId)) === 200, 5000, 20)).toBe(true);
    expect((await request("GET", `${server.url}/healthz`, null)).status).toBe(200);
  });

  it("loses no event answered accepted when the database goes away and comes back in the middle of a run", async () => {
    const { instanceId, key } = await createInstance(server.url);
    const batches = Array.from({ length: 40 }, () => Array.from({ length: 50 }, () => makeEvent(instanceId)));
    const answered = new Map<string, string>(); // event_id -> final per-event status
    let failures = 0;
    let faultsInjected = 0;

    // Two senders in parallel, each retrying its batch on 503 or a dropped connection, as the SDK does.
    let next = 0;
    const sender = async () => {
      for (let index = next++; index < batches.length; index = next++) {
        const batch = batches[index] as Record<string, unknown>[];
        if (index === 10) {
          proxy.cut(); // live sockets destroyed mid-run
          faultsInjected++;
        }
        if (index === 25) {
          await terminateServerBackends(); // the server's sessions killed, as by a restart
          faultsInjected++;
        }
        for (let attempt = 0; ; attempt++) {
          const answer = await postJson(`${server.url}/v1/events/batch`, key, { events: batch }).catch(() => null);
          if (answer?.status === 200) {
            (answer.body.results as { event_id: string; status: string }[]).forEach((result) => answered.set(result.event_id, result.status));
            break;
          }
          failures++;
          expect(answer === null || answer.status === 503).toBe(true);
          if (failures >= 3) proxy.restore(); // the database "comes back" after a few refused batches
          if (attempt > 200) throw new Error("batch never accepted");
          await new Promise((done) => setTimeout(done, 20));
        }
      }
    };
    await Promise.all([sender(), sender()]);
    expect(faultsInjected).toBe(2);
    expect(failures).toBeGreaterThan(0); // the faults were felt

    const sentIds = batches.flat().map((event) => event.event_id as string);
    const accepted = sentIds.filter((id) => answered.get(id) === "accepted");
    // Every event ends accepted, or duplicate when its first try committed but the answer was lost.
    expect(sentIds.every((id) => answered.get(id) === "accepted" || answered.get(id) === "duplicate")).toBe(true);
    const stored = await schema.admin.query(
      `SELECT event_id, count(*)::int AS copies FROM ${schema.name}.events WHERE instance_id = $1 GROUP BY event_id`,
      [instanceId],
    );
    const copies = new Map(stored.rows.map((row: { event_id: string; copies: number }) => [row.event_id, row.copies]));
    expect(accepted.filter((id) => copies.get(id) !== 1)).toEqual([]);
    expect(stored.rows.length).toBe(sentIds.length);

    // The aggregates moved with the stored events, once each: bins sum to the events counted.
    const totals = await aggregateTotals(schema.admin, schema.name);
    expect(totals.usageEvents).toBe(totals.events);
    expect(totals.level0Events).toBe(totals.events);
    expect(totals.binTotals).toEqual({
      input_tokens: totals.events,
      output_tokens: totals.events,
      cost_usd_micros: totals.events,
      duration_ms: totals.events,
    });
    expect(totals.groupsWithDriftingBins).toEqual([]);
  });
});
