/**
 * Predictions latency against data volume: the time of one 50-query POST /v1/predictions/batch
 * with 10 thousand and with 1 million stored events, in one run. Target: p50 at 1 M <= 1.5x p50
 * at 10 k. Both databases are seeded through the storage API from the same distribution (many
 * instances, uneven sizes, Zipf-like models, skewed task types; see bench/lib/server-seed.mjs),
 * each served by its own server process (bench/lib/server-process.mjs); requests alternate between
 * the two so both meet the same machine noise.
 *
 *   flock /tmp/bench.lock node --expose-gc bench/server-predictions.bench.mjs [--large 1000000] [--small 10000] [--requests 300]
 *     [--instances 300] [--profile <dir>] [--keep <dir>]
 *
 * --keep <dir>: seed each database once into <dir> (named by its event and instance counts) and
 * reuse it in later runs, so an iteration does not pay the ~4 min of seeding 1 M events. The
 * reader's API key is kept next to it (owner-only file); delete <dir> to seed afresh.
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startServerChild } from "./lib/server-child.mjs";
import { loadServer, loadServerModule, openSeedingStorage } from "./lib/server-dist.mjs";
import { drawDimensions, seedEvents, seededRandom } from "./lib/server-seed.mjs";
import { fmt, printMachine, printTable, printTarget } from "./lib/report.mjs";
import { intArg, median, stringArg } from "./lib/stats.mjs";

const SMALL = intArg("small", 10_000);
const LARGE = intArg("large", 1_000_000);
const REQUESTS = intArg("requests", 300);
const INSTANCES = intArg("instances", 300);
const QUERIES = 50;

await printMachine();
const { generateApiKey } = await loadServer();
const KEEP_DIR = stringArg("keep", "");
if (KEEP_DIR) mkdirSync(KEEP_DIR, { recursive: true, mode: 0o700 });
const dir = KEEP_DIR || mkdtempSync(join(tmpdir(), "mosaic-bench-predictions-"));
const readerId = "11111111-2222-4333-8444-555555555555";

async function seedDatabase(name, total) {
  const db = join(dir, KEEP_DIR ? `${name}-${total}-events-${INSTANCES}-instances.db` : `${name}.db`);
  const keyFile = `${db}.reader-key`;
  if (KEEP_DIR && existsSync(db) && existsSync(keyFile)) {
    console.log(`reusing ${name}: ${db} (${fmt(statSync(db).size / 1e6, 1)} MB)`);
    return { db, key: readFileSync(keyFile, "utf8").trim() };
  }
  for (const file of [db, `${db}-wal`, `${db}-shm`]) rmSync(file, { force: true });
  const storage = await openSeedingStorage(db);
  const started = process.hrtime.bigint();
  // Each instance's events in one call: the fold turns them into one upsert per distinct group,
  // bin and (group, instance) row, so seeding costs about one row insert per event.
  await seedEvents(storage, { total, instances: INSTANCES, seed: 7, generateApiKey, chunk: 100_000,
    onProgress: (written) => process.stderr.write(`  ${name}: ${fmt(written)} events written\r`) });
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  const { key, record } = generateApiKey(readerId, new Date());
  await storage.createInstance({ id: readerId, name: "reader", createdAt: new Date() }, record);
  await storage.close();
  // Written last: a run killed while seeding leaves no key, so the next run seeds again.
  if (KEEP_DIR) writeFileSync(keyFile, key, { mode: 0o600 });
  console.log(`seeded ${name}: ${fmt(total)} events from ${INSTANCES} instances in ${fmt(seconds, 1)} s (${fmt(total / seconds)} events/s), ${fmt(statSync(db).size / 1e6, 1)} MB`);
  return { db, key };
}

const small = await seedDatabase("small", SMALL);
const large = await seedDatabase("large", LARGE);

// The same 50 queries for both: drawn from the crowd's own distribution, so some are popular
// combinations and some rare ones that must fall back.
const random = seededRandom(99);
const queries = Array.from({ length: QUERIES }, () => drawDimensions(random));
const body = JSON.stringify({ queries });

// --profile <dir>: a V8 CPU profile of the large database's server process (where its time goes).
const PROFILE_DIR = stringArg("profile", "");
const servers = { small: await startServerChild({ db: small.db }), large: await startServerChild({ db: large.db, profileDir: PROFILE_DIR }) };
const keys = { small: small.key, large: large.key };

async function ask(name) {
  const started = process.hrtime.bigint();
  const response = await globalThis.fetch(`${servers[name].url}/v1/predictions/batch`, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${keys[name]}` },
    body,
  });
  const answer = await response.json();
  const ms = Number(process.hrtime.bigint() - started) / 1e6;
  if (response.status !== 200) throw new Error(`${name}: HTTP ${response.status} ${JSON.stringify(answer)}`);
  return { ms, answer };
}

const levels = {};
const answeredAt = {};
for (const name of ["small", "large"]) {
  const { answer } = await ask(name);
  levels[name] = [-1, 0, 1, 2, 3].map((level) => answer.results.filter((result) => result.metadata.fallback_level === level).length);
  answeredAt[name] = answer.results.map((result) => result.metadata.fallback_level);
}
for (let i = 0; i < 30; i++) for (const name of ["small", "large"]) await ask(name);
const times = { small: [], large: [] };
for (let i = 0; i < REQUESTS; i++) {
  for (const name of i % 2 === 0 ? ["small", "large"] : ["large", "small"]) times[name].push((await ask(name)).ms);
}
await Promise.all(Object.values(servers).map((server) => server.close()));

// Where the time goes: the predictor reads the summaries (no bins) of every group any query could
// fall back to (4 levels per query), then only the answering groups' sketches, one row and one
// BLOB per (group, metric) whatever the number of bins (before schema version 2, SQLite walked one
// row per bin: 6.5 k at 10 k events, 39 k at 1 M).
const { default: Database } = await import("better-sqlite3");
// The group keys' module moved to aggregation/ (decision 0009); an older build has it in predictions/.
const { groupKey } = await loadServerModule("aggregation/group-key.js").catch(() => loadServerModule("predictions/group-key.js"));
const read = {};
for (const name of ["small", "large"]) {
  const db = new Database(name === "small" ? small.db : large.db, { readonly: true });
  // A dense sketch's BLOB is 8 bytes per bin from its lowest to its highest, plus 16. A file of an
  // older build (MOSAIC_BENCH_SERVER_DIST) still has a row per bin.
  const perSketch = db.prepare("SELECT count(*) AS n FROM sqlite_schema WHERE name = 'group_sketches'").get().n === 1;
  const count = db.prepare(
    perSketch
      ? "SELECT count(*) AS n, 'sketches' AS unit, coalesce(sum(length(sketch) / 8 - 2), 0) AS width FROM group_sketches WHERE group_key IN (SELECT value FROM json_each(?))"
      : "SELECT count(*) AS n, 'bins' AS unit, count(*) AS width FROM group_bins WHERE group_key IN (SELECT value FROM json_each(?))",
  );
  const candidates = [...new Set(queries.flatMap((query) => [0, 1, 2, 3].map((level) => groupKey(query, level))))];
  const answering = [...new Set(queries.flatMap((query, i) => (answeredAt[name][i] >= 0 ? [groupKey(query, answeredAt[name][i])] : [])))];
  read[name] = { candidates: candidates.length, answering: answering.length, ...count.get(JSON.stringify(answering)) };
  db.close();
}
if (!KEEP_DIR) rmSync(dir, { recursive: true, force: true });

const quantile = (list, q) => [...list].sort((a, b) => a - b)[Math.min(list.length - 1, Math.floor(q * list.length))];
console.log(`\n${QUERIES} queries per request, ${REQUESTS} requests per database, alternating, after 30 warm-up requests each\n`);
printTable(
  ["stored events", "p50 (ms)", "p90 (ms)", "p99 (ms)", "answers at level -1 / 0 / 1 / 2 / 3", "summaries read", "rows read (answering groups)", "their bins, lowest to highest"],
  ["small", "large"].map((name) => [
    fmt(name === "small" ? SMALL : LARGE),
    fmt(median(times[name]), 2),
    fmt(quantile(times[name], 0.9), 2),
    fmt(quantile(times[name], 0.99), 2),
    levels[name].join(" / "),
    fmt(read[name].candidates),
    `${fmt(read[name].n)} ${read[name].unit} (${read[name].answering} groups)`,
    fmt(read[name].width),
  ]),
);
console.log("");
printTarget(`p50 at ${fmt(LARGE)} / p50 at ${fmt(SMALL)} events`, median(times.large) / median(times.small), "<=", 1.5);
