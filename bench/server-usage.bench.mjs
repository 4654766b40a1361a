/**
 * Usage time-series latency against data volume (issue 14): the time of one 90-day
 * GET /v1/usage/timeseries (day buckets, split by model) with 10 thousand and with 1 million
 * stored events, in one run. Target: p50 at 1 M <= 1.5x p50 at 10 k. The crowd (many instances,
 * uneven sizes, the predictions bench's distribution, bench/lib/server-seed.mjs) is spread over the
 * 90 days; the reading instance has the same 2,000 events of its own in both databases, so what
 * differs is only what else is stored. Also measured, without a target: the costliest-tasks read
 * of the same instance and the admin's all-instances series (it reads usage_rollups_all: a row
 * per hour and dimensions, whatever the number of instances).
 *
 *   node --expose-gc bench/server-usage.bench.mjs [--large 1000000] [--small 10000] [--requests 300]
 *     [--instances 300] [--reader-events 2000] [--keep <dir>]
 *
 * --keep <dir>: seed each database once into <dir> and reuse it in later runs (the reader's key
 * is kept beside it, owner-only); delete <dir> to seed afresh.
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startServerChild } from "./lib/server-child.mjs";
import { loadServer, openSeedingStorage } from "./lib/server-dist.mjs";
import { drawEvent, seedEvents, seededRandom } from "./lib/server-seed.mjs";
import { fmt, printMachine, printTable, printTarget } from "./lib/report.mjs";
import { intArg, median, stringArg } from "./lib/stats.mjs";

const SMALL = intArg("small", 10_000);
const LARGE = intArg("large", 1_000_000);
const REQUESTS = intArg("requests", 300);
const INSTANCES = intArg("instances", 300);
const READER_EVENTS = intArg("reader-events", 2000);
const DAYS = 90;
const HOUR = 3_600_000;
// A fixed end (a whole hour): kept databases and fresh ones hold the same data.
const END_MS = Date.parse("2026-12-01T00:00:00Z");
const FROM = new Date(END_MS - DAYS * 24 * HOUR).toISOString();
const TO = new Date(END_MS).toISOString();

await printMachine();
const { generateApiKey } = await loadServer();
const KEEP_DIR = stringArg("keep", "");
if (KEEP_DIR) mkdirSync(KEEP_DIR, { recursive: true, mode: 0o700 });
const dir = KEEP_DIR || mkdtempSync(join(tmpdir(), "mosaic-bench-usage-"));
const readerId = "22222222-3333-4444-8555-666666666666";
const ADMIN_TOKEN = `bench-admin-${readerId}`;
process.env.MOSAIC_BENCH_ADMIN_TOKEN = ADMIN_TOKEN;

async function seedDatabase(name, total) {
  const db = join(dir, KEEP_DIR ? `usage-${name}-${total}-events-${INSTANCES}-instances-${READER_EVENTS}-reader.db` : `${name}.db`);
  const keyFile = `${db}.reader-key`;
  if (KEEP_DIR && existsSync(db) && existsSync(keyFile)) {
    console.log(`reusing ${name}: ${db} (${fmt(statSync(db).size / 1e6, 1)} MB)`);
    return { db, key: readFileSync(keyFile, "utf8").trim() };
  }
  for (const file of [db, `${db}-wal`, `${db}-shm`]) rmSync(file, { force: true });
  const storage = await openSeedingStorage(db);
  const started = process.hrtime.bigint();
  await seedEvents(storage, {
    total, instances: INSTANCES, seed: 7, generateApiKey, chunk: 100_000, spanDays: DAYS, endMs: END_MS,
    onProgress: (written) => process.stderr.write(`  ${name}: ${fmt(written)} events written\r`),
  });
  // The reader: the same events in both databases (own seed), over the same 90 days.
  const { key, record } = generateApiKey(readerId, new Date());
  await storage.createInstance({ id: readerId, name: "reader", createdAt: new Date() }, record);
  const random = seededRandom(31);
  const own = Array.from({ length: READER_EVENTS }, () =>
    drawEvent(random, readerId, new Date(END_MS - Math.floor(random() * DAYS * 24 * HOUR)).toISOString()),
  );
  await storage.ingestEvents(readerId, own, new Date());
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  await storage.close();
  if (KEEP_DIR) writeFileSync(keyFile, key, { mode: 0o600 });
  console.log(`seeded ${name}: ${fmt(total)} crowd events from ${INSTANCES} instances + ${fmt(READER_EVENTS)} of the reader in ${fmt(seconds, 1)} s (${fmt((total + READER_EVENTS) / seconds)} events/s), ${fmt(statSync(db).size / 1e6, 1)} MB`);
  return { db, key };
}

const small = await seedDatabase("small", SMALL);
const large = await seedDatabase("large", LARGE);
const servers = { small: await startServerChild({ db: small.db }), large: await startServerChild({ db: large.db }) };
const keys = { small: small.key, large: large.key };

const READS = {
  series: { path: `/v1/usage/timeseries?from=${FROM}&to=${TO}&bucket=day&group_by=model`, admin: false },
  top: { path: `/v1/usage/top?from=${FROM}&to=${TO}&limit=20`, admin: false },
  "admin series, all instances": { path: `/v1/admin/usage/timeseries?from=${FROM}&to=${TO}&bucket=day&group_by=model`, admin: true },
};

async function ask(name, read) {
  const started = process.hrtime.bigint();
  const response = await globalThis.fetch(`${servers[name].url}${READS[read].path}`, {
    headers: { authorization: `Bearer ${READS[read].admin ? ADMIN_TOKEN : keys[name]}` },
  });
  const answer = await response.json();
  const ms = Number(process.hrtime.bigint() - started) / 1e6;
  if (response.status !== 200) throw new Error(`${name} ${read}: HTTP ${response.status} ${JSON.stringify(answer)}`);
  return { ms, answer };
}

// Both databases give the reader the same answer: its own data only.
const answers = {};
for (const name of ["small", "large"]) answers[name] = (await ask(name, "series")).answer;
if (JSON.stringify(answers.small.totals) !== JSON.stringify(answers.large.totals)) throw new Error("the reader's totals differ between the databases");
if (answers.small.totals.events !== READER_EVENTS) throw new Error(`the reader's totals count ${answers.small.totals.events} events, not ${READER_EVENTS}`);

const times = {};
for (const read of Object.keys(READS)) {
  times[read] = { small: [], large: [] };
  const requests = READS[read].admin ? Math.max(10, Math.floor(REQUESTS / 10)) : REQUESTS;
  for (let i = 0; i < 20; i++) for (const name of ["small", "large"]) await ask(name, read);
  for (let i = 0; i < requests; i++) {
    for (const name of i % 2 === 0 ? ["small", "large"] : ["large", "small"]) times[read][name].push((await ask(name, read)).ms);
  }
}
await Promise.all(Object.values(servers).map((server) => server.close()));

// Rows behind each read: the reader's rollup rows in range, and every instance's.
const { default: Database } = await import("better-sqlite3");
const rows = {};
for (const name of ["small", "large"]) {
  const db = new Database(name === "small" ? small.db : large.db, { readonly: true });
  const range = [Date.parse(FROM), Date.parse(TO)];
  rows[name] = {
    reader: db.prepare("SELECT count(*) AS n FROM usage_rollups WHERE instance_id = ? AND hour >= ? AND hour < ?").get(readerId, ...range).n,
    all: db.prepare("SELECT count(*) AS n FROM usage_rollups_all WHERE hour >= ? AND hour < ?").get(...range).n,
  };
  db.close();
}
if (!KEEP_DIR) rmSync(dir, { recursive: true, force: true });

const quantile = (list, q) => [...list].sort((a, b) => a - b)[Math.min(list.length - 1, Math.floor(q * list.length))];
console.log(`\n90 days (${FROM} to ${TO}); requests alternate between the databases after 20 warm-up requests each\n`);
printTable(
  ["read", "stored events", "requests", "p50 (ms)", "p90 (ms)", "rollup rows read"],
  Object.keys(READS).flatMap((read) =>
    ["small", "large"].map((name) => [
      read,
      fmt((name === "small" ? SMALL : LARGE) + READER_EVENTS),
      fmt(times[read][name].length),
      fmt(median(times[read][name]), 2),
      fmt(quantile(times[read][name], 0.9), 2),
      read === "top" ? "(index entries: the reader's events in range)" : fmt(READS[read].admin ? rows[name].all : rows[name].reader),
    ]),
  ),
);
console.log("");
printTarget(`series p50 at ${fmt(LARGE)} / p50 at ${fmt(SMALL)} crowd events`, median(times.series.large) / median(times.series.small), "<=", 1.5);
console.log(`(no target) top p50 ratio ${fmt(median(times.top.large) / median(times.top.small), 2)}x; admin all-instances series p50 ratio ${fmt(median(times["admin series, all instances"].large) / median(times["admin series, all instances"].small), 2)}x`);
