/**
 * The few node-postgres (pg) methods the PostgreSQL engine calls. Declared here so only
 * open-storage.ts imports the driver.
 */
export interface PgQueryResult {
  rows: Record<string, unknown>[];
  rowCount: number | null;
}

/** A query with its own client-side read timeout (pg's `query_timeout`), e.g. for migrations. */
export interface PgQueryConfig {
  text: string;
  values?: unknown[] | undefined;
  query_timeout: number;
}

export interface PgQueryable {
  query(text: string, values?: unknown[]): Promise<PgQueryResult>;
}

export interface PgPoolClient extends PgQueryable {
  query(text: string, values?: unknown[]): Promise<PgQueryResult>;
  query(config: PgQueryConfig): Promise<PgQueryResult>;
  /** Returns the client; with an error (or true) the pool destroys it instead of reusing it. */
  release(destroy?: Error | boolean): void;
  /** A checked-out client whose connection dies emits 'error'; unheard, it would crash the process. */
  on(event: "error", listener: (error: Error) => void): unknown;
  off(event: "error", listener: (error: Error) => void): unknown;
}

export interface PgPool extends PgQueryable {
  connect(): Promise<PgPoolClient>;
  end(): Promise<void>;
}
