import { StorageUnavailableError } from "../storage.js";
import type { SqliteDatabase, SqliteStatement } from "./sqlite-driver.js";
import { mapSqliteError } from "./sqlite-errors.js";
import type { WalSync } from "./wal-sync.js";

/**
 * One better-sqlite3 handle as the engine's parts use it: statements prepared once, errors mapped
 * (sqlite-errors.ts), transactions, and "durable" (the WAL synced off the loop). better-sqlite3
 * is synchronous, so each call runs to completion on the event loop and one process never
 * interleaves two transactions; other processes are kept out by BEGIN IMMEDIATE and busy_timeout.
 */
export class SqliteConnection {
  readonly db: SqliteDatabase;
  readonly #statements = new Map<string, SqliteStatement>();
  /** Null where no WAL file is synced: an in-memory database, or synchronous=FULL does it. */
  readonly #walSync: WalSync | null;
  #closed = false;

  constructor(db: SqliteDatabase, walSync: WalSync | null) {
    this.db = db;
    this.#walSync = walSync;
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** Prepared once per SQL text and reused: preparing costs more than most of our statements. */
  statement(sql: string): SqliteStatement {
    let statement = this.#statements.get(sql);
    if (!statement) {
      statement = this.db.prepare(sql);
      this.#statements.set(sql, statement);
    }
    return statement;
  }

  /** Runs `work` on the open handle, its errors mapped (StorageUnavailableError for an outage). */
  run<T>(work: () => T): T {
    if (this.#closed) throw mapSqliteError(new TypeError("The database connection is not open"));
    try {
      return work();
    } catch (error) {
      throw mapSqliteError(error);
    }
  }

  /**
   * BEGIN IMMEDIATE takes the write lock up front: a deferred transaction that reads first and
   * writes later can fail with SQLITE_BUSY without waiting for busy_timeout.
   */
  transaction<T>(work: () => T): T {
    this.db.exec("BEGIN IMMEDIATE");
    try {
      const result = work();
      this.db.exec("COMMIT");
      return result;
    } catch (error) {
      if (this.db.inTransaction) this.db.exec("ROLLBACK");
      throw error;
    }
  }

  /** A deferred transaction that only reads: one WAL snapshot for all its statements. */
  readTransaction<T>(work: () => T): T {
    this.db.exec("BEGIN");
    try {
      return work();
    } finally {
      if (this.db.inTransaction) this.db.exec("COMMIT");
    }
  }

  /** Resolves when every write committed so far is on disk (see WalSync). */
  async durable(): Promise<void> {
    if (this.#walSync === null) return;
    try {
      await this.#walSync.afterCommit();
    } catch (error) {
      // Committed but maybe not on disk: the caller must not answer as if it were durable.
      throw new StorageUnavailableError("SQLite storage unavailable: the write could not be synced to disk", { cause: error });
    }
  }

  /** Closes the handle after the last sync; later calls fail as "not open". */
  async close(): Promise<void> {
    this.#closed = true;
    await this.#walSync?.close();
    this.#statements.clear();
  }
}
