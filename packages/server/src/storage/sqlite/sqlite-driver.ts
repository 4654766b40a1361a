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
  /** Rows as arrays of column values instead of objects (cheaper for a read of many rows). */
  raw(toggle?: boolean): SqliteStatement;
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
  // SQL values reach these callbacks untyped; `any` as in better-sqlite3's own declarations, which a
  // narrower parameter type here would no longer match.
  /** Registers a SQL function implemented in JS, for this connection only. */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  function(name: string, options: { deterministic?: boolean }, implementation: (...params: any[]) => unknown): unknown;
  /** Registers an aggregate SQL function implemented in JS, for this connection only. */
  aggregate<T>(
    name: string,
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    options: { deterministic?: boolean; start: () => T; step: (total: T, ...params: any[]) => T | void; result: (total: T) => unknown },
  ): unknown;
  close(): unknown;
}
