/** The PostgreSQL engine's settings: the pool's (open-storage.ts) and the group commit's. */
export interface PostgresSettings {
  /** Connections per process. */
  poolSize?: number;
  /**
   * How long a call waits for a free pooled connection (or a new one) before it fails with
   * StorageUnavailableError; also how long an ingest call may wait for the group ahead of it.
   */
  connectTimeoutMs?: number;
  /**
   * How long a statement may go unanswered before it fails with StorageUnavailableError and its
   * connection is dropped. Client-side, so a stalled network or server ends too (a server-side
   * statement_timeout would never be heard).
   */
  queryTimeoutMs?: number;
  /** Most events in one group-commit transaction (group-commit.ts). */
  maxEventsPerTransaction?: number;
  /** An ingest call still waiting for its transaction after this long gets StorageUnavailableError. */
  maxQueueWaitMs?: number;
  /** Told the number of ingest calls each transaction writes (tests, metrics). */
  onIngestTransaction?: (calls: number) => void;
}

/** The PostgreSQL engine's defaults: every setting a caller leaves out, and the fixed bounds beside them. */
export const POSTGRES_DEFAULTS = Object.freeze({
  poolSize: 10,
  connectTimeoutMs: 5000,
  queryTimeoutMs: 10_000,
  maxEventsPerTransaction: 2000,
  maxQueueWaitMs: 5000,
  /** Events allowed to wait for a transaction, in transactions' worth: beyond it a call gets 503 at once. */
  queuedTransactions: 10,
  /** An idle pooled connection is closed after this long. */
  idleTimeoutMs: 30_000,
  /** Migrations may wait for another process's migration lock and rewrite big tables: no read timeout. */
  migrationQueryTimeoutMs: 6 * 60 * 60 * 1000,
  /** Attempts of one transaction aborted as a deadlock victim or serialization failure. */
  transactionAttempts: 3,
});

/** Any fixed number; every process of every version must use the same one. ("mosa" in ASCII.) */
export const MIGRATION_LOCK_ID = 0x6d6f7361;
