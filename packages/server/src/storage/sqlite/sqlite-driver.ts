/**
 * The few better-sqlite3 methods the SQLite engine calls. Declared here so only open-storage.ts
 * imports the driver, and so a test can see at a glance what the engine depends on.
 */
export interface SqliteRunResult {
  changes: number;
}

export interface SqliteStatement {
  run(...params: unknown[]): SqliteRunResult;
  get(...params: unknown[]): unknown;
  all(...params: unknown[]): unknown[];
}

export interface SqliteDatabase {
  /** The file name as opened (its WAL is `${name}-wal`). */
  readonly name: string;
  /** True for an in-memory database, which has no file to sync. */
  readonly memory: boolean;
  readonly open: boolean;
  readonly inTransaction: boolean;
  prepare(sql: string): SqliteStatement;
  exec(sql: string): unknown;
  pragma(source: string, options?: { simple?: boolean }): unknown;
  close(): unknown;
}
