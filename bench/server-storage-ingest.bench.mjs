/**
 * Where ingest's SQLite time goes, without HTTP: the storage API's ingestEvents alone, 8 calls of
 * 100 events at a time (as 8 keep-alive connections would send them), each event with its text,
 * on a fresh SQLite file, in three variants: production (checkpoints on their own thread, as
 * openStorage opens files), checkpoints on the event loop (SQLite's automatic checkpoint after a
 * commit), and no checkpoints at all (an A/B only: the WAL would grow without bound). The ratios
 * say what checkpointing costs the event loop and how much of it the thread takes away. Rounds
 * rotate the order; medians.
 *
 *   npm run build && node bench/server-storage-ingest.bench.mjs [--batches 3000] [--rounds 3] [--base <dir>]
 *
 * --base <dir>: another build's packages/server/dist (e.g. of the commit before a change, built in
 * a worktree of its own) runs the production variant too, in the same rotation ("base build").
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import Database from "better-sqlite3";
import { EVENT_FIELDS, SCHEMA_VERSION } from "./lib/event-fields.mjs";
import { loadServer, loadServerModule, withEventArrays } from "./lib/server-dist.mjs";
import { fmt, printMachine, printTable } from "./lib/report.mjs";
import { intArg, median, stringArg } from "./lib/stats.mjs";

const BATCHES = intArg("batches", 3000);
const ROUNDS = intArg("rounds", 3);
const CONCURRENT = 8;
const PER_BATCH = 100;

await printMachine();
console.log(`storage ingest: ${BATCHES} batches of ${PER_BATCH} events, ${CONCURRENT} calls at a time, ${ROUNDS} rounds per variant\n`);
const { generateApiKey } = await loadServer();
const { SqliteStorage } = await loadServerModule("storage/sqlite/sqlite-storage.js");
const instanceId = "0b7d4a52-3c1e-4f7a-9d2b-6e8f1a0c5b3d";
const timestamp = new Date().toISOString();

const BASE = stringArg("base", "");
const BaseSqliteStorage = BASE === "" ? null : (await import(join(BASE, "storage/sqlite/sqlite-storage.js"))).SqliteStorage;
const VARIANTS = ["production", "loop checkpoints", "no checkpoints", ...(BASE === "" ? [] : ["base build"])];

/** @param {string} variant one of VARIANTS */
async function run(variant) {
  const dir = mkdtempSync(join(tmpdir(), "mosaic-bench-storage-"));
  const db = new Database(join(dir, "telemetry.db"));
  const storage =
    variant === "base build"
      ? await withEventArrays(new BaseSqliteStorage(db, { checkpointThread: true }), BASE)
      : await withEventArrays(new SqliteStorage(db, { checkpointThread: variant === "production" }));
  try {
    await storage.migrate();
    if (variant === "no checkpoints") db.pragma("wal_autocheckpoint = 0");
    await storage.createInstance({ id: instanceId, name: "bench", createdAt: new Date() }, generateApiKey(instanceId, new Date()).record);
    let counter = 0;
    const batches = Array.from({ length: BATCHES }, () => {
      const events = Array.from({ length: PER_BATCH }, () => ({
        event_id: `abcdef01-0000-4000-8000-${(counter++).toString(16).padStart(12, "0")}`,
        instance_id: instanceId,
        schema_version: SCHEMA_VERSION,
        timestamp,
        ...EVENT_FIELDS,
      }));
      return { events, texts: events.map((event) => JSON.stringify(event)) };
    });
    const cpuBefore = process.cpuUsage();
    const started = performance.now();
    for (let i = 0; i < batches.length; i += CONCURRENT) {
      await Promise.all(batches.slice(i, i + CONCURRENT).map((batch) => storage.ingestEvents(instanceId, batch.events, new Date(), batch.texts)));
    }
    const seconds = (performance.now() - started) / 1000;
    const cpu = process.cpuUsage(cpuBefore);
    return { eventsPerSecond: counter / seconds, wallMicros: (seconds * 1e6) / counter, cpuMicros: (cpu.user + cpu.system) / counter };
  } finally {
    await storage.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

const results = Object.fromEntries(VARIANTS.map((name) => [name, []]));
for (let round = 0; round < ROUNDS; round++) {
  for (const name of [...VARIANTS.slice(round % VARIANTS.length), ...VARIANTS.slice(0, round % VARIANTS.length)]) {
    const result = await run(name);
    results[name].push(result);
    console.log(`round ${round + 1} ${name}: ${fmt(result.eventsPerSecond)} events/s, ${fmt(result.wallMicros, 1)} µs wall per event`);
  }
}
const summary = (name) => ({
  eventsPerSecond: median(results[name].map((r) => r.eventsPerSecond)),
  wallMicros: median(results[name].map((r) => r.wallMicros)),
  cpuMicros: median(results[name].map((r) => r.cpuMicros)),
});
const summaries = Object.fromEntries(VARIANTS.map((name) => [name, summary(name)]));
console.log("");
printTable(
  ["variant", "events/s (median)", "wall µs per event (the event loop's time)", "CPU µs per event (all threads)"],
  VARIANTS.map((name) => [name, fmt(summaries[name].eventsPerSecond), fmt(summaries[name].wallMicros, 1), fmt(summaries[name].cpuMicros, 1)]),
);
// Diagnostics, not targets.
const ratio = (a, b) => (summaries[a].eventsPerSecond / summaries[b].eventsPerSecond).toFixed(2);
console.log(`\nproduction / loop checkpoints: ${ratio("production", "loop checkpoints")}x events/s`);
console.log(`production / no checkpoints: ${ratio("production", "no checkpoints")}x events/s`);
if (BASE !== "") console.log(`production / base build: ${ratio("production", "base build")}x events/s`);
