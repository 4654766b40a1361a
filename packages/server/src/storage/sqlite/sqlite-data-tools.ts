import { eventJson } from "../event-json.js";
import { refuseNewerSchema } from "../migration.js";
import { isCompact, storedEvent, type StoredEventRow } from "./compact-event.js";
import { SQLITE_MIGRATIONS } from "./sqlite-migrations.js";

/**
 * The operator's tools on a SQLite file a server may be writing: an online backup and an
 * instance's events as JSON lines. They run on a connection of their own (the CLI's), never the
 * server's.
 */

/** The part of better-sqlite3's Database these tools call (only open-storage.ts imports the driver). */
export interface SqliteToolDatabase {
  backup(destination: string, options?: { progress?: (info: { totalPages: number; remainingPages: number }) => number }): Promise<unknown>;
  prepare(sql: string): { iterate(...params: unknown[]): IterableIterator<unknown> };
  close(): unknown;
}

/**
 * Copies the database into `destination` with SQLite's online backup API.
 *
 * Why all pages after the first step: a write by another connection (the server) between two
 * steps restarts the backup, so under steady ingest a page-by-page copy may never finish. The
 * first 100 pages go as better-sqlite3 starts; the rest in one step, under one read snapshot
 * (WAL mode: the server's writers go on meanwhile), so the copy is one consistent state.
 */
export async function backupSqlite(db: SqliteToolDatabase, destination: string): Promise<void> {
  await db.backup(destination, { progress: () => 0x7fffffff });
}

/**
 * The stored events of one instance, each as the text of its JSON object (its known fields), in
 * event_id order (the primary key's, so the rows stream from the index without a sort; the SDK's
 * UUIDv7 ids are in time order).
 * `sinceMs`: only events received at or after it.
 */
export function* sqliteInstanceEvents(db: SqliteToolDatabase, instanceId: string, sinceMs: number): Generator<string> {
  // A later build may store rows in a form this one misreads: refuse before the first line.
  const [recorded] = [...db.prepare("SELECT MAX(version) AS version FROM schema_migrations").iterate()] as { version: number | null }[];
  refuseNewerSchema(recorded?.version ?? 0, SQLITE_MIGRATIONS);
  const rows = db
    .prepare("SELECT instance_id, event_id, timestamp, payload FROM events WHERE instance_id = ? AND received_at >= ? ORDER BY event_id")
    .iterate(instanceId.toLowerCase(), sinceMs);
  // A row stored as an object is the event's text already; a compact one is written out as one.
  for (const row of rows as IterableIterator<StoredEventRow>) yield isCompact(row) ? eventJson(storedEvent(row)) : row.payload;
}
