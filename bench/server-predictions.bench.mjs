/**
 * Predictions latency against data volume: the time of one 50-query POST /v1/predictions/batch
 * with 10 thousand and with 1 million stored events, in one run. Target: p50 at 1 M <= 1.5x p50
 * at 10 k. Both databases are seeded through the storage API from the same distribution (many
 * instances, uneven sizes, Zipf-like models, skewed task types; see bench/lib/server-seed.mjs),
 * each served by its own server process (bench/lib/server-process.mjs); requests alternate between
 * the two so both meet the same machine noise.
 *
 *   node --expose-gc bench/server-predictions.bench.mjs [--large 1000000] [--small 10000] [--requests 300]
 *     [--instances 300] [--profile <dir>] [--keep <dir>] [--base <dir>] [--refresh-runs 1]
 *
 * --refresh-runs <n>: run the refresh of every group n times in a row (each recomputes every group)
 * and report each run's CPU; the target reads their median (this machine's speed moves by a third
 * from one minute to the next).
 *
 * --base <dir>: also serve both databases with another build (its packages/server/dist, e.g. of the
 * commit before a change, built in a worktree of its own); its requests alternate with this
 * build's, and each build's ratio is printed with this build's p50 against the other's. The base
 * must read the same schema version: a build before a migration cannot serve files migrated after it.
 *
 * --keep <dir>: seed each database once into <dir> (named by its event and instance counts) and
 * reuse it in later runs, so an iteration does not pay the ~4 min of seeding 1 M events. The
 * reader's API key is kept next to it (owner-only file); delete <dir> to seed afresh.
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { monitorEventLoopDelay } from "node:perf_hooks";
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
const BASE = stringArg("base", "");
const servers = { small: await startServerChild({ db: small.db }), large: await startServerChild({ db: large.db, profileDir: PROFILE_DIR }) };
if (BASE !== "") {
  // The same files, and a predictions read writes nothing. The base build must know the files'
  // schema: a build that refuses newer SQLite schemas (migration 9 on) cannot serve files this
  // build migrated further, so measure such a pair with the older build as this one.
  servers["base small"] = await startServerChild({ db: small.db, serverDist: BASE });
  servers["base large"] = await startServerChild({ db: large.db, serverDist: BASE });
}
const SERVED = Object.keys(servers);
const keyOf = (name) => (name.endsWith("small") ? small.key : large.key);

async function ask(name) {
  const started = process.hrtime.bigint();
  const response = await globalThis.fetch(`${servers[name].url}/v1/predictions/batch`, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${keyOf(name)}` },
    body,
  });
  const answer = await response.json();
  const ms = Number(process.hrtime.bigint() - started) / 1e6;
  if (response.status !== 200) throw new Error(`${name}: HTTP ${response.status} ${JSON.stringify(answer)}`);
  return { ms, answer };
}

const levels = {};
const answeredAt = {};
const cold = {};
for (const name of ["small", "large"]) {
  // The first request of an interval computes and stores the snapshots of the groups it needs.
  const { answer, ms } = await ask(name);
  cold[name] = ms;
  levels[name] = [-1, 0, 1, 2, 3].map((level) => answer.results.filter((result) => result.metadata.fallback_level === level).length);
  answeredAt[name] = answer.results.map((result) => result.metadata.fallback_level);
}
for (let i = 0; i < 30; i++) for (const name of SERVED) await ask(name);
const times = Object.fromEntries(SERVED.map((name) => [name, []]));
for (let i = 0; i < REQUESTS; i++) {
  for (const name of i % 2 === 0 ? SERVED : [...SERVED].reverse()) times[name].push((await ask(name)).ms);
}
await Promise.all(Object.values(servers).map((server) => server.close()));

// A snapshot of every group of the large database in this process, as a server's refresh of
// every group computes it (refreshAllSnapshots): every (group, instance) aggregate read once in key
// order, in chunks that yield to the event loop, each group weighed and noised, the snapshots
// saved. An interval of 0 makes every stored snapshot stale, so all groups are computed. The event
// loop's delay is sampled meanwhile: its maximum is the longest an ingest request could wait.
const { refreshAllSnapshots } = await loadServerModule("predictions/privacy/private-predictor.js");
const REFRESH_RUNS = Math.max(1, intArg("refresh-runs", 1));
const refreshRuns = [];
{
  const storage = await openSeedingStorage(large.db);
  for (let run = 0; run < REFRESH_RUNS; run++) {
    const delay = monitorEventLoopDelay({ resolution: 5 });
    delay.enable();
    const cpu = process.cpuUsage();
    const started = process.hrtime.bigint();
    const report = await refreshAllSnapshots(storage, { snapshotIntervalMs: 0 });
    const used = process.cpuUsage(cpu);
    delay.disable();
    refreshRuns.push({
      ...report,
      cpuSeconds: (used.user + used.system) / 1e6,
      wallSeconds: Number(process.hrtime.bigint() - started) / 1e9,
      maxDelayMs: delay.max / 1e6,
      p99DelayMs: delay.percentile(99) / 1e6,
    });
  }
  await storage.close();
}
// The run with the median CPU stands for them all.
const allGroups = [...refreshRuns].sort((a, b) => a.cpuSeconds - b.cpuSeconds)[Math.floor((refreshRuns.length - 1) / 2)];
if (!KEEP_DIR) rmSync(dir, { recursive: true, force: true });

const quantile = (list, q) => [...list].sort((a, b) => a - b)[Math.min(list.length - 1, Math.floor(q * list.length))];
console.log(`\n${QUERIES} queries per request, ${REQUESTS} requests per database, alternating, after 30 warm-up requests each\n`);
printTable(
  ["stored events", "p50 (ms)", "p90 (ms)", "p99 (ms)", "answers at level -1 / 0 / 1 / 2 / 3", "first request (snapshots computed, ms)"],
  ["small", "large"].map((name) => [
    fmt(name === "small" ? SMALL : LARGE),
    fmt(median(times[name]), 2),
    fmt(quantile(times[name], 0.9), 2),
    fmt(quantile(times[name], 0.99), 2),
    levels[name].join(" / "),
    fmt(cold[name], 0),
  ]),
);
if (refreshRuns.length > 1) {
  console.log(`\n${refreshRuns.length} refreshes of every group, s of CPU: ${refreshRuns.map((run) => fmt(run.cpuSeconds, 2)).join(", ")}; longest event loop delay: ${refreshRuns.map((run) => fmt(run.maxDelayMs, 0)).join(", ")} ms`);
}
console.log(
  `\nsnapshot of all ${fmt(allGroups.groups)} groups of the ${fmt(LARGE)}-event database (${fmt(allGroups.answering)} answering): ` +
    `${fmt(allGroups.cpuSeconds, 2)} s of CPU, ${fmt(allGroups.wallSeconds, 2)} s wall; event loop delay during it: max ${fmt(allGroups.maxDelayMs, 1)} ms, p99 ${fmt(allGroups.p99DelayMs, 1)} ms`,
);
if (BASE !== "") {
  console.log("\nthe base build over the same files, in the same alternation:\n");
  printTable(
    ["stored events", "p50 (ms)", "p90 (ms)", "p99 (ms)"],
    ["base small", "base large"].map((name) => [fmt(name.endsWith("small") ? SMALL : LARGE), fmt(median(times[name]), 2), fmt(quantile(times[name], 0.9), 2), fmt(quantile(times[name], 0.99), 2)]),
  );
  console.log(`\nthis build's p50 / the base build's: ${(median(times.small) / median(times["base small"])).toFixed(2)}x at ${fmt(SMALL)}, ${(median(times.large) / median(times["base large"])).toFixed(2)}x at ${fmt(LARGE)}`);
}
console.log("");
printTarget(`p50 at ${fmt(LARGE)} / p50 at ${fmt(SMALL)} events`, median(times.large) / median(times.small), "<=", 1.5);
if (BASE !== "") printTarget(`base build: p50 at ${fmt(LARGE)} / p50 at ${fmt(SMALL)} events`, median(times["base large"]) / median(times["base small"]), "<=", 1.5);
printTarget(`snapshot of all groups at ${fmt(LARGE)} events, CPU${refreshRuns.length > 1 ? " (median run)" : ""}`, allGroups.cpuSeconds, "<=", 10, " s");
