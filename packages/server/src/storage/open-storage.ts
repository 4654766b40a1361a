import { chmodSync, existsSync, mkdirSync } from "node:fs";
import { dirname } from "node:path";
import Database from "better-sqlite3";
import pg from "pg";
import type { MigrationResult } from "./migration.js";
import { POSTGRES_DEFAULTS, type PostgresSettings } from "./postgres/postgres-settings.js";
import { PostgresStorage } from "./postgres/postgres-storage.js";
import { postgresInstanceEvents } from "./postgres/postgres-export.js";
import { makeDatabaseFilesOwnerOnly } from "./sqlite/owner-only-files.js";
import { backupSqlite, sqliteInstanceEvents, type SqliteToolDatabase } from "./sqlite/sqlite-data-tools.js";
import { SqliteStorage } from "./sqlite/sqlite-storage.js";
import { mapSqliteError } from "./sqlite/sqlite-errors.js";
import type { Storage } from "./storage.js";

/** Where storage lives; the HTTP layer parses DATABASE_URL into one of these. */
export type StorageTarget = { engine: "sqlite"; path: string } | { engine: "postgres"; url: string };

/** What the operator may set (config.ts reads it from the environment); defaults: POSTGRES_DEFAULTS. */
export interface OpenStorageOptions extends Pick<PostgresSettings, "poolSize" | "connectTimeoutMs" | "queryTimeoutMs"> {
  /**
   * PostgreSQL: told about an error on an idle pooled connection (server restart, network cut).
   * The pool has already dropped that connection; the next call opens a new one. Errors carry
   * no credentials from us, but log `error.message` rather than the whole object.
   * @default ignore
   */
  onIdleConnectionError?: (error: Error) => void;
}

/** A storage engine as opened here: the Storage interface plus the migration report. */
type OpenedStorage = Storage & { applyMigrations(): Promise<MigrationResult> };

/**
 * Opens the engine of `target`, applies pending migrations and returns it. The only place that
 * imports a database driver.
 *
 * @example
 * const storage = await openStorage({ engine: "sqlite", path: "./data/telemetry.db" });
 */
export async function openStorage(target: StorageTarget, options: OpenStorageOptions = {}): Promise<Storage> {
  const storage = await openEngine(target, options);
  try {
    await storage.applyMigrations();
  } catch (error) {
    await storage.close();
    throw error;
  }
  return storage;
}

/**
 * Applies pending migrations to `target` and closes it: what `mosaic-telemetry migrate` runs.
 * Safe while servers run against the same database.
 */
export async function migrate(target: StorageTarget, options: OpenStorageOptions = {}): Promise<MigrationResult> {
  const storage = await openEngine(target, options);
  try {
    return await storage.applyMigrations();
  } finally {
    await storage.close();
  }
}

/**
 * `mosaic-telemetry backup`: a consistent copy of a SQLite database into `destination` (which must
 * not exist), while servers go on writing. PostgreSQL has pg_dump (docs/operations.md).
 */
export async function backupDatabase(target: StorageTarget, destination: string): Promise<void> {
  if (target.engine !== "sqlite") throw new Error("backup copies SQLite files; for PostgreSQL use pg_dump (docs/operations.md)");
  if (existsSync(destination)) throw new Error(`${destination} exists: give a new file name`);
  const db = openSqliteTool(target.path);
  try {
    await backupSqlite(db, destination);
  } finally {
    db.close();
  }
  // The copy holds every instance's events and key hashes, like the database.
  chmodSync(destination, 0o600);
}

/**
 * `mosaic-telemetry export`: one instance's stored events as JSON texts, streamed from the
 * database on a connection of its own, closed when the iteration ends (or is abandoned).
 */
export async function* instanceEvents(target: StorageTarget, instanceId: string, since: Date = new Date(0)): AsyncGenerator<string> {
  if (target.engine === "sqlite") {
    const db = openSqliteTool(target.path);
    try {
      yield* sqliteInstanceEvents(db, instanceId, since.getTime());
    } finally {
      db.close();
    }
    return;
  }
  const client = new pg.Client({ connectionString: target.url });
  await client.connect();
  try {
    yield* postgresInstanceEvents(client, instanceId, since);
  } finally {
    await client.end();
  }
}

/** A read-only connection of the operator's tools; a missing file is an error, never a new database. */
function openSqliteTool(path: string): SqliteToolDatabase {
  try {
    return new Database(path, { readonly: true, fileMustExist: true }) as unknown as SqliteToolDatabase;
  } catch (error) {
    throw mapSqliteError(error);
  }
}

async function openEngine(target: StorageTarget, options: OpenStorageOptions): Promise<OpenedStorage> {
  if (target.engine === "sqlite") return openSqlite(target.path);
  return openPostgres(target.url, options);
}

function openPostgres(url: string, options: OpenStorageOptions): PostgresStorage {
  const connectTimeoutMs = Math.max(1, Math.trunc(options.connectTimeoutMs ?? POSTGRES_DEFAULTS.connectTimeoutMs));
  const pool = new pg.Pool({
    connectionString: url,
    max: Math.max(1, Math.trunc(options.poolSize ?? POSTGRES_DEFAULTS.poolSize)),
    connectionTimeoutMillis: connectTimeoutMs,
    query_timeout: Math.max(1, Math.trunc(options.queryTimeoutMs ?? POSTGRES_DEFAULTS.queryTimeoutMs)),
    // TCP keepalive: a peer that vanished without a FIN (a dead host, a dropped NAT entry) is
    // noticed on idle pooled connections too, not only when a query times out.
    keepAlive: true,
    idleTimeoutMillis: POSTGRES_DEFAULTS.idleTimeoutMs,
  });
  // Without a listener, an error on an idle client (e.g. 57P01 when the server restarts) is an
  // unhandled 'error' event and kills the process.
  const onIdleError = options.onIdleConnectionError;
  pool.on("error", (error) => onIdleError?.(error));
  // pg connects lazily: an unreachable server surfaces as StorageUnavailableError from migrate.
  // An ingest call waits for the group ahead of it at most as long as for a connection.
  return new PostgresStorage(pool, { maxQueueWaitMs: connectTimeoutMs });
}

function openSqlite(path: string): SqliteStorage {
  const inMemory = path === ":memory:" || path === "";
  try {
    // 0700: the folder holds every instance's events and key hashes; nobody else needs to list it.
    if (!inMemory) {
      mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
      makeDatabaseFilesOwnerOnly(path);
    }
    // A file's WAL checkpoints run on a thread of their own, off the event loop.
    return new SqliteStorage(new Database(path), { checkpointThread: !inMemory });
  } catch (error) {
    throw mapSqliteError(error);
  }
}
