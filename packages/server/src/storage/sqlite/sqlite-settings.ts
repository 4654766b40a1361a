import type { SqliteDatabase } from "./sqlite-driver.js";
import type { WalSyncOptions } from "./wal-sync.js";

/** Connection settings applied at open; why each one is in docs/decisions/0001-storage.md. */
export interface SqliteSettings {
  /**
   * true: every write resolves only after its WAL frames were fdatasync'ed, so a 200 survives
   * power loss (done off the event loop: wal-sync.ts; or with synchronous=FULL where the file is
   * not in WAL mode). false: survives a process crash only; for benchmarks, nothing ships it.
   */
  durableWrites?: boolean;
  /** fdatasync of the WAL, injectable so a test can hold a sync open (wal-sync.ts). */
  syncData?: WalSyncOptions["syncData"];
  /**
   * Run WAL checkpoints on a thread with its own connection (checkpoint-thread.ts) instead of
   * on the event loop after a commit. Files in WAL mode only; openStorage turns it on.
   */
  checkpointThread?: boolean;
  /**
   * Page size of a database file this connection creates; a file that already has pages keeps its
   * own (SQLite changes it only by a VACUUM outside WAL mode). 16 KiB rather than SQLite's 4 KiB:
   * an event row is ~1 KB, so a commit writes a quarter as many WAL frames (one pwrite each, on the
   * event loop) and pages hold rows with less slack (docs/benchmarks/server-storage-ingest.md).
   */
  pageSizeBytes?: number;
  /** How long a writer waits for another process's write lock before SQLITE_BUSY. */
  busyTimeoutMs?: number;
  /**
   * Page cache per connection. An event with a random (v4) id adds a key at a random place in the
   * dedup index (instance_id, event_id); with SQLite's 2 MiB default, once that index outgrows the
   * cache nearly every such insert reads an index page back from the OS. 64 MiB keeps the index
   * pages of about 700 k events in memory (ingest went from 27 to 17 µs of CPU per event). The
   * SDK's UUIDv7 ids append at the index's end and need less.
   */
  cacheSizeMiB?: number;
  /** Most events written in one group-commit transaction; more waiting requests go in the next one. */
  maxEventsPerTransaction?: number;
  /** Called with the number of ingest calls each group-commit transaction holds (tests count them). */
  onIngestTransaction?(calls: number): void;
}

/** The SQLite engine's defaults: every setting a caller leaves out. */
export const SQLITE_DEFAULTS = Object.freeze({
  durableWrites: true,
  checkpointThread: false,
  pageSizeBytes: 16_384,
  busyTimeoutMs: 5000,
  cacheSizeMiB: 64,
  maxEventsPerTransaction: 5000,
} satisfies Required<Omit<SqliteSettings, "syncData" | "onIngestTransaction">>);

/** SQLite ignores any other page size without a word, and the file would get 4 KiB. */
export function checkedPageSize(bytes: number): number {
  const powerOfTwo = Number.isInteger(bytes) && (bytes & (bytes - 1)) === 0;
  if (!powerOfTwo || bytes < 512 || bytes > 65_536) {
    throw new RangeError(`pageSizeBytes must be a power of two from 512 to 65536, not ${bytes}`);
  }
  return bytes;
}

/**
 * Sets the connection's pragmas (before any statement, after the sketch functions are registered)
 * and says what they came to: the journal mode ("wal" unless the file could not enter WAL mode),
 * the busy timeout, and whether the engine must sync the WAL itself (durable writes in WAL mode).
 */
export function applySqliteSettings(db: SqliteDatabase, settings: SqliteSettings): {
  journalMode: unknown;
  busyTimeoutMs: number;
  walSynced: boolean;
} {
  // Before WAL mode: the first write fixes the page size of a new file.
  db.pragma(`page_size = ${checkedPageSize(settings.pageSizeBytes ?? SQLITE_DEFAULTS.pageSizeBytes)}`);
  // WAL: readers never block the writer and a commit is one sequential append.
  const journalMode = db.pragma("journal_mode = WAL", { simple: true });
  const durable = settings.durableWrites ?? SQLITE_DEFAULTS.durableWrites;
  // The WAL is synced off the loop (wal-sync.ts); a file that could not enter WAL mode (and so
  // has no -wal file) gets SQLite's own fsync at every commit instead.
  const walSynced = durable && journalMode === "wal";
  db.pragma(`synchronous = ${durable && !walSynced && !db.memory ? "FULL" : "NORMAL"}`);
  const busyTimeoutMs = Math.max(0, Math.trunc(settings.busyTimeoutMs ?? SQLITE_DEFAULTS.busyTimeoutMs));
  db.pragma(`busy_timeout = ${busyTimeoutMs}`);
  db.pragma("foreign_keys = ON");
  // Negative: a size in KiB rather than in pages.
  db.pragma(`cache_size = ${-Math.max(1, Math.trunc((settings.cacheSizeMiB ?? SQLITE_DEFAULTS.cacheSizeMiB) * 1024))}`);
  return { journalMode, busyTimeoutMs, walSynced };
}
