/**
 * Issue 4, "Speed": ingest events/s through POST /v1/events/batch with
 *   sqlite-1  one server process on SQLite (the embedded mode, no Redis)
 *   pg-1      one server process on PostgreSQL, Redis on
 *   pg-2      two server processes on one PostgreSQL schema, Redis on (connections split evenly)
 * in one run, rounds interleaved, each round fresh event ids; the servers are the BUILT server
 * (packages/server/dist/main.js) as child processes. 100-event batches, keep-alive connections.
 * Where the time goes, per configuration: CPU seconds per 10k events of the server processes,
 * PostgreSQL (this run's backends, and its background writers), Redis (INFO cpu), this load
 * generator, and how busy the machine was (all cores, /proc/stat).
 * Target: pg-2 not slower than pg-1 (ratio >= 1.0).
 *
 *   node --expose-gc bench/server-scale.bench.mjs [--batches 400] [--rounds 3] [--connections 8]
 * Needs MOSAIC_TEST_DATABASE_URL and MOSAIC_TEST_REDIS_URL (or DATABASE_URL / REDIS_URL for the bench).
 */
import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { createServer } from "node:net";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import process from "node:process";
import { setTimeout } from "node:timers";
import { fileURLToPath } from "node:url";
import { Redis } from "ioredis";
import pg from "pg";
import { buildBatches, sendAll } from "./lib/scale-load.mjs";
import {
  machineCpuSeconds,
  postgresCpuSeconds,
  processCpuSeconds,
  redisCpuSeconds,
  sampleBackendStates,
  selfCpuSeconds,
} from "./lib/scale-cpu.mjs";
import { intArg, median } from "./lib/stats.mjs";
import { fmt, printMachine, printTable, printTarget } from "./lib/report.mjs";

const BATCHES = intArg("batches", 400);
const ROUNDS = intArg("rounds", 3);
const CONNECTIONS = intArg("connections", 8);
const INSTANCES = 8;
const ADMIN = `bench-admin-${randomBytes(12).toString("hex")}`;
const { fetch } = globalThis;
// MOSAIC_BENCH_SERVER_DIST runs another build's servers (bench/lib/server-dist.mjs): an A/B in two runs.
const MAIN_JS = process.env.MOSAIC_BENCH_SERVER_DIST
  ? resolve(process.env.MOSAIC_BENCH_SERVER_DIST, "main.js")
  : resolve(dirname(fileURLToPath(import.meta.url)), "../packages/server/dist/main.js");
const databaseUrl = process.env.MOSAIC_TEST_DATABASE_URL ?? process.env.DATABASE_URL;
const redisUrl = process.env.MOSAIC_TEST_REDIS_URL ?? process.env.REDIS_URL;

/** A port free right now (the server logs its URL only at info level, and we run it at warn). */
function freePort() {
  return new Promise((done, fail) => {
    const server = createServer();
    server.on("error", fail);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address();
      server.close(() => done(port));
    });
  });
}

/** Starts `node dist/main.js` on a free port and resolves once /healthz answers. */
async function spawnServer(env) {
  const port = await freePort();
  const child = spawn(process.execPath, [MAIN_JS], {
    env: { PATH: process.env.PATH ?? "", HOST: "127.0.0.1", PORT: String(port), LOG_LEVEL: "warn", TELEMETRY_ADMIN_TOKEN: ADMIN, ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let out = "";
  child.stdout.on("data", (chunk) => (out += chunk));
  child.stderr.on("data", (chunk) => (out += chunk));
  let exited = false;
  child.on("exit", () => (exited = true));
  const url = `http://127.0.0.1:${port}`;
  for (let attempt = 0; attempt < 200; attempt++) {
    if (exited) throw new Error(`server exited: ${out}`);
    const ok = await fetch(`${url}/healthz`).then((r) => r.ok, () => false);
    if (ok) return { child, url, pid: child.pid, output: () => out };
    await new Promise((done) => setTimeout(done, 50));
  }
  throw new Error(`server did not answer on ${url}: ${out}`);
}

async function createInstances(url) {
  const out = [];
  for (let i = 0; i < INSTANCES; i++) {
    const response = await fetch(`${url}/v1/admin/instances`, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${ADMIN}` },
      body: JSON.stringify({ name: `bench-${i}` }),
    });
    if (response.status !== 201) throw new Error(`instance not created: ${response.status} ${await response.text()}`);
    const body = await response.json();
    out.push({ instanceId: body.instance.id, key: body.api_key.key });
  }
  return out;
}

async function main() {
  await printMachine();
  if (!existsSync(MAIN_JS)) {
    console.log("packages/server/dist/main.js is missing: run `npm run build` first");
    process.exit(1);
  }
  if (!databaseUrl || !redisUrl) {
    console.log("set MOSAIC_TEST_DATABASE_URL and MOSAIC_TEST_REDIS_URL (PostgreSQL and Redis) to run this bench");
    process.exit(1);
  }
  console.log(`server-scale: ${BATCHES} batches x 100 events per round, ${ROUNDS} rounds, ${CONNECTIONS} keep-alive connections, ${INSTANCES} instances`);

  const admin = new pg.Client({ connectionString: databaseUrl });
  await admin.connect();
  // A second session for sampling backend states while the first reads CPU.
  const sampler = new pg.Client({ connectionString: databaseUrl });
  await sampler.connect();
  const redis = new Redis(redisUrl, { maxRetriesPerRequest: 1 });
  const dataDir = mkdtempSync(join(tmpdir(), "mosaic-scale-"));
  const schemas = [];
  const configs = [];
  const children = [];
  const prefix = `scale_${randomBytes(4).toString("hex")}`;
  try {
    const pgEnv = async (name) => {
      const schema = `${prefix}_${name.replace("-", "_")}`;
      await admin.query(`CREATE SCHEMA ${schema}`);
      schemas.push(schema);
      const url = new URL(databaseUrl);
      url.searchParams.set("options", `-c search_path=${schema}`);
      url.searchParams.set("application_name", schema);
      return { schema, env: { DATABASE_URL: url.toString(), REDIS_URL: redisUrl, REDIS_KEY_PREFIX: `${schema}:` } };
    };
    const limits = { RATE_LIMIT_EVENTS_PER_MINUTE: "1000000000" };

    const sqliteServer = await spawnServer({ ...limits, DATA_DIR: dataDir, DATABASE_URL: `sqlite:${join(dataDir, "bench.db")}` });
    children.push(sqliteServer);
    configs.push({ name: "sqlite-1", servers: [sqliteServer], schema: null });
    const one = await pgEnv("pg-1");
    const pgOne = await spawnServer({ ...limits, ...one.env, DATA_DIR: dataDir });
    children.push(pgOne);
    configs.push({ name: "pg-1", servers: [pgOne], schema: one.schema });
    const two = await pgEnv("pg-2");
    const pgTwo = await Promise.all([spawnServer({ ...limits, ...two.env, DATA_DIR: dataDir }), spawnServer({ ...limits, ...two.env, DATA_DIR: dataDir })]);
    children.push(...pgTwo);
    configs.push({ name: "pg-2", servers: pgTwo, schema: two.schema });

    for (const config of configs) config.instances = await createInstances(config.servers[0].url);
    // Warm-up: JIT, pools and prepared paths, untimed.
    for (const config of configs) await sendAll(config.servers.map((s) => s.url), buildBatches(config.instances, 40), CONNECTIONS);

    const runs = Object.fromEntries(configs.map((config) => [config.name, []]));
    const problems = [];
    for (let round = 0; round < ROUNDS; round++) {
      // Rotate the order each round: no configuration always runs first or last on a shared machine.
      const order = configs.map((_, i) => configs[(i + round) % configs.length]);
      for (const config of order) {
        const batches = buildBatches(config.instances, BATCHES);
        globalThis.gc?.();
        const before = await readCpu(config, admin, redis);
        const states = config.schema ? sampleBackendStates(sampler, config.schema) : null;
        const result = await sendAll(config.servers.map((s) => s.url), batches, CONNECTIONS);
        const backendStates = states ? await states.stop() : null;
        const after = await readCpu(config, admin, redis);
        const expected = BATCHES * 100;
        if (result.accepted !== expected) problems.push(`${config.name} round ${round + 1}: ${result.accepted} of ${expected} accepted`);
        problems.push(...result.problems.slice(0, 3).map((p) => `${config.name}: ${p}`));
        runs[config.name].push({ eventsPerSecond: result.accepted / result.seconds, seconds: result.seconds, cpu: cpuDelta(before, after), events: result.accepted, backendStates });
      }
    }
    report(configs, runs, problems);
    await verifyCounts(admin, configs);
  } finally {
    for (const child of children) child.child.kill("SIGTERM");
    await Promise.all(children.map((child) => new Promise((done) => (child.child.exitCode !== null ? done() : child.child.once("exit", done)))));
    for (const schema of schemas) await admin.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
    const keys = await redis.keys(`${prefix}_*`);
    if (keys.length > 0) await redis.del(...keys);
    await admin.end();
    await sampler.end();
    redis.disconnect();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

async function readCpu(config, admin, redis) {
  const postgres = config.schema ? await postgresCpuSeconds(admin, config.schema) : { backends: 0, background: 0 };
  const machine = machineCpuSeconds();
  return {
    servers: config.servers.reduce((sum, server) => sum + processCpuSeconds(server.pid), 0),
    pgBackends: postgres.backends,
    pgBackground: postgres.background,
    redis: config.schema ? await redisCpuSeconds(redis) : 0,
    client: selfCpuSeconds(),
    machineBusy: machine.busy,
    machineTotal: machine.total,
  };
}

function cpuDelta(before, after) {
  return Object.fromEntries(Object.keys(before).map((name) => [name, after[name] - before[name]]));
}

function report(configs, runs, problems) {
  const rows = [];
  const medians = {};
  for (const config of configs) {
    const list = runs[config.name];
    const eps = median(list.map((run) => run.eventsPerSecond));
    medians[config.name] = eps;
    // CPU seconds per 10k events, medians over rounds.
    const per10k = (field) => median(list.map((run) => (run.cpu[field] / run.events) * 10_000));
    const busy = median(list.map((run) => run.cpu.machineBusy / run.cpu.machineTotal));
    rows.push([
      config.name,
      fmt(eps),
      list.map((run) => fmt(run.eventsPerSecond)).join(" / "),
      fmt(per10k("servers"), 2),
      fmt(per10k("pgBackends"), 2),
      fmt(per10k("pgBackground"), 2),
      fmt(per10k("redis"), 3),
      fmt(per10k("client"), 2),
      `${fmt(busy * 100)} %`,
    ]);
  }
  console.log("");
  printTable(
    ["config", "events/s (median)", "rounds", "server CPU s/10k ev", "PG backends s/10k", "PG background s/10k", "Redis s/10k", "load gen s/10k", "machine busy"],
    rows,
  );
  const stateRows = [];
  for (const config of configs) {
    const sums = { cpu: 0, lock: 0, io: 0, other: 0, idle: 0 };
    for (const run of runs[config.name]) for (const [name, value] of Object.entries(run.backendStates ?? {})) sums[name] += value;
    const total = Object.values(sums).reduce((a, b) => a + b, 0);
    if (total === 0) continue;
    const share = (name) => `${fmt((sums[name] / total) * 100)} %`;
    stateRows.push([config.name, share("cpu"), share("lock"), share("io"), share("other"), share("idle")]);
  }
  if (stateRows.length > 0) {
    console.log("\nPostgreSQL backends of the run, sampled every 50 ms (share of samples):\n");
    printTable(["config", "on CPU", "waiting on a lock", "waiting on I/O / LWLock", "other wait", "idle in pool"], stateRows);
  }
  console.log("");
  printTarget("pg-2 / pg-1 events/s", medians["pg-2"] / medians["pg-1"], ">=", 1.0);
  console.log(`- pg-1 / sqlite-1 events/s: ${(medians["pg-1"] / medians["sqlite-1"]).toFixed(2)}x (reported, no target)`);
  if (problems.length > 0) console.log(`problems:\n${problems.map((p) => `  - ${p}`).join("\n")}`);
}

/** Every accepted event stored once, and the sketch bins sum to the events, in both PG schemas. */
async function verifyCounts(admin, configs) {
  for (const config of configs) {
    if (!config.schema) continue;
    const events = Number((await admin.query(`SELECT count(*) AS n FROM ${config.schema}.events`)).rows[0].n);
    // Provider-level groups (a key of one dimension): each event is in exactly one. Builds keep
    // the bins in the aggregate row (migration 8: a bytea per metric of 12-byte big-endian
    // entries, int32 bin and float64 count), as rows of instance_bins (migrations 6-7), or
    // group-wide (before 6).
    const table = async (name) => (await admin.query(`SELECT to_regclass('${config.schema}.${name}') AS t`)).rows[0].t !== null;
    const bins = (await table("instance_bins"))
      ? await admin.query(`SELECT metric, sum(count) AS n FROM ${config.schema}.instance_bins WHERE json_array_length(group_key::json) = 1 GROUP BY metric`)
      : (await table("group_bins"))
        ? await admin.query(`SELECT metric, sum(count) AS n FROM ${config.schema}.group_bins WHERE json_array_length(group_key::json) = 1 GROUP BY metric`)
        : await sketchSums(admin, config.schema);
    const exact = bins.rows.every((row) => Number(row.n) === events);
    console.log(`- ${config.name}: ${fmt(events)} events stored; provider-level bins sum to events: ${exact ? "yes" : "NO"}`);
  }
}

/** Per metric, the sum of the provider-level sketches' counts (migration 8's bytea), as rows like the bin tables' sums. */
async function sketchSums(admin, schema) {
  const metrics = ["input_tokens", "output_tokens", "cost_usd_micros", "duration_ms"];
  const { rows } = await admin.query(`SELECT ${metrics.map((m) => `${m}_sketch`).join(", ")} FROM ${schema}.instance_aggregates WHERE json_array_length(group_key::json) = 1`);
  return {
    rows: metrics.map((metric) => {
      let n = 0;
      for (const row of rows) for (let offset = 0; offset < row[`${metric}_sketch`].length; offset += 12) n += row[`${metric}_sketch`].readDoubleBE(offset + 4);
      return { metric, n };
    }),
  };
}

await main();
