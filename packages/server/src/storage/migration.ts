/**
 * One forward-only schema step. Versions start at 1 and only grow; a released migration is never
 * edited, a change is a new one. Each engine has its own list because the column types differ
 * (REAL vs double precision, epoch ms vs timestamptz), but the lists move in step: version n means
 * the same tables on every engine, except where a step says why one engine lays data out its own
 * way (version 2: SQLite keeps each sketch as one BLOB row, PostgreSQL keeps a row per bin).
 */
export interface Migration {
  version: number;
  name: string;
  /** Statements separated by ";" at line ends; run in one transaction with the version record. */
  sql: string;
}

/** What a migrate run did. */
export interface MigrationResult {
  /** Versions applied by this run, ascending; empty when the schema was current. */
  applied: number[];
  /** The schema version after the run. */
  version: number;
}

/** Splits a migration's text into statements (none of ours contains ";" inside a literal). */
export function migrationStatements(sql: string): string[] {
  return sql
    .split(/;\s*$/m)
    .map((statement) => statement.trim())
    .filter((statement) => statement.length > 0);
}
