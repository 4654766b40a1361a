/** Loads the built server and protocol packages, or explains how to build them. */
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";

// MOSAIC_BENCH_SERVER_DIST points the benches at another build of the server (a copy of dist/ with
// one change, inside the repository so its imports resolve): an A/B of that change in one command.
const SERVER_DIST = process.env.MOSAIC_BENCH_SERVER_DIST
  ? `${process.env.MOSAIC_BENCH_SERVER_DIST.replace(/\/$/, "")}/`
  : fileURLToPath(new URL("../../packages/server/dist/", import.meta.url));
const PROTOCOL_DIST = fileURLToPath(new URL("../../packages/protocol/dist/", import.meta.url));

export async function loadServer() {
  if (!existsSync(`${SERVER_DIST}index.js`)) {
    console.error("packages/server/dist is missing: run `npm run build` first");
    process.exit(2);
  }
  return import(`${SERVER_DIST}index.js`);
}

/** Parts the bench-only route needs that the package does not export by name. */
export async function loadServerInternals() {
  const [auth, cache, parser, routes] = await Promise.all([
    import(`${SERVER_DIST}auth/api-key-auth.js`),
    import(`${SERVER_DIST}auth/api-key-cache.js`),
    import(`${SERVER_DIST}http/events-json-parser.js`),
    import(`${SERVER_DIST}routes/events-routes.js`),
  ]);
  return {
    apiKeyAuthHook: auth.apiKeyAuthHook,
    ApiKeyCache: cache.ApiKeyCache,
    installEventsJsonParser: parser.installEventsJsonParser,
    BATCH_RESPONSE_SCHEMA: routes.BATCH_RESPONSE_SCHEMA,
  };
}

/** One module of the built server by its path under dist/, e.g. "aggregation/group-key.js". */
export async function loadServerModule(path) {
  return import(`${SERVER_DIST}${path}`);
}

/**
 * `storage` with ingestEvents(instanceId, events, receivedAt, texts?) taking events and their
 * texts as sent as two arrays, whichever build it comes from: a build before the ingest layer took
 * them so; a build with it takes one record per event, { event, payload } (texts, or each event's
 * known fields) before the engines wrote their own forms, { event, sentText } (texts or null)
 * since. So one bench seeds and measures either build alike.
 */
export async function withEventArrays(storage, serverDist = SERVER_DIST) {
  const dist = serverDist.endsWith("/") ? serverDist : `${serverDist}/`;
  let records;
  if (existsSync(`${dist}storage/event-json.js`)) {
    records = (events, texts) => events.map((event, i) => ({ event, sentText: texts?.[i] ?? null }));
  } else if (existsSync(`${dist}ingest/event-payload.js`)) {
    const { eventPayload } = await import(`${dist}ingest/event-payload.js`);
    records = (events, texts) => events.map((event, i) => ({ event, payload: texts?.[i] ?? eventPayload(event) }));
  } else {
    return storage;
  }
  const ingestEvents = (instanceId, events, receivedAt, texts) => storage.ingestEvents(instanceId, records(events, texts), receivedAt);
  // A Proxy, not Object.create: the engines' methods read private fields, so `this` must stay the engine.
  return new Proxy(storage, {
    get: (target, name) => (name === "ingestEvents" ? ingestEvents : typeof target[name] === "function" ? target[name].bind(target) : target[name]),
  });
}

export async function loadProtocol() {
  return import(`${PROTOCOL_DIST}index.js`);
}

/**
 * The SQLite engine over `path`, migrated, without the WAL sync per write (durableWrites: false)
 * and with a 1 GB page cache: for seeding a bench database only (no fsync per transaction; the
 * servers measured later open it with the production settings).
 */
export async function openSeedingStorage(path) {
  const [{ SqliteStorage }, { default: Database }] = await Promise.all([
    import(`${SERVER_DIST}storage/sqlite/sqlite-storage.js`),
    import("better-sqlite3"),
  ]);
  const db = new Database(path);
  // A page cache big enough for the aggregate tables' working set: upserts then stay in memory.
  db.pragma("cache_size = -1000000");
  const storage = new SqliteStorage(db, { durableWrites: false });
  await storage.applyMigrations();
  return withEventArrays(storage);
}
