/**
 * The API server for the server benches, run as its own process so the load generator never
 * shares its event loop. Built from packages/server/dist (run `npm run build` first) over the
 * SQLite file given by --db, with the production app (buildApp: auth, rate-limit plugin, logging
 * at info to /dev/null, the real predictor). Prints one JSON line {"port": n} once it listens on
 * 127.0.0.1; exits when its stdin closes.
 *
 *   --db <path>        the SQLite file (created and migrated when absent)
 *   --parse-only       also serve POST /bench/parse-only: the events route's work without storage
 *                      (bench-only: registered here, never in production routes)
 *   --synchronous NORMAL   no WAL sync before a write resolves (durableWrites: false), instead of
 *                      the production sync (to show what durability costs, not a setting to ship)
 */
import { createWriteStream } from "node:fs";
import { stringArg } from "./stats.mjs";
import { registerParseOnlyRoute } from "./server-parse-only.mjs";
import { loadServer, loadServerModule } from "./server-dist.mjs";

const db = stringArg("db", "");
if (db === "") {
  console.error("server-process: --db <path> is required");
  process.exit(2);
}
const { buildApp, createPredictor, openStorage } = await loadServer();
const synchronous = stringArg("synchronous", "FULL");
const storage = synchronous === "FULL" ? await openStorage({ engine: "sqlite", path: db }) : await openWith(synchronous);

async function openWith(mode) {
  const [{ SqliteStorage }, { default: Database }] = await Promise.all([loadServerModule("storage/sqlite/sqlite-storage.js"), import("better-sqlite3")]);
  const opened = new SqliteStorage(new Database(db), { durableWrites: mode === "FULL" });
  await opened.applyMigrations();
  return opened;
}
const app = await buildApp({
  config: {
    bodyLimitBytes: 1024 * 1024,
    // The bench measures throughput, not the limiter's refusals (the plugin still runs per request).
    rateLimits: { eventsPerMinute: 1_000_000_000, predictionsPerMinute: 1_000_000_000 },
    logLevel: "info",
  },
  storage,
  predictor: createPredictor(storage),
  // The usage bench reads the admin routes too; every other bench runs without an admin API.
  adminToken: process.env.MOSAIC_BENCH_ADMIN_TOKEN ?? null,
  // Production logs every request at info; the lines are written, to /dev/null.
  logger: { stream: createWriteStream("/dev/null"), level: "info" },
});
if (process.argv.includes("--parse-only")) await registerParseOnlyRoute(app, storage);
const address = await app.listen({ port: 0, host: "127.0.0.1" });
process.stdout.write(`${JSON.stringify({ port: Number(new URL(address).port) })}\n`);

process.stdin.resume();
process.stdin.on("end", async () => {
  await app.close();
  await storage.close();
  process.exit(0);
});
