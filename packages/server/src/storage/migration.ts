import type { TaskCompletionEvent } from "@mosaicstack/telemetry-protocol";
import type { InstanceAggregateDelta } from "../aggregation/fold-accepted.js";

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
  /**
   * Code run after the statements, in the same transaction: a backfill that reads stored rows and
   * writes derived ones through the session (readEvents, writeInstanceAggregates), so one
   * algorithm, in TypeScript, fills both engines (instance-aggregates-backfill.ts).
   */
  backfill?: () => Generator<BackfillStep, void, unknown>;
}

/** A stored event as a backfill reads it. */
export interface BackfillEvent {
  instanceId: string;
  eventId: string;
  receivedMs: number;
  /** The event the row holds, as its engine reads it back. */
  event: TaskCompletionEvent;
}

/** Where a page of events starts: after this (instance_id, event_id), or at the first when null. */
export type EventCursor = { instanceId: string; eventId: string } | null;

/** What a backfill asks of the session: a page of stored events in key order, or rows to write. */
export type BackfillStep =
  | { kind: "readEvents"; after: EventCursor; limit: number }
  | { kind: "writeInstanceAggregates"; rows: readonly InstanceAggregateDelta[] };

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

/**
 * What the migration runner asks of an engine, inside one transaction the engine opened: the
 * engine's dialect of the same steps. SQLite's driver is synchronous and must stay so (two
 * handles of one process would otherwise wait on each other's write lock while the first one
 * awaits), PostgreSQL's is not: one plan (migrationPlan), two ways to run it.
 */
export interface MigrationSession {
  /** Keeps other processes' runs out until the transaction ends (a write lock, an advisory lock). */
  lock(): void;
  /** Creates `schema_migrations` if it is missing. */
  createVersionTable(): void;
  /** The highest version recorded, 0 when none. */
  currentVersion(): number;
  /** Runs one statement of a migration. */
  exec(statement: string): void;
  /** Records a migration as applied. */
  record(migration: Migration): void;
  /** Up to `limit` stored events after `after`, in (instance_id, event_id) order. */
  readEvents(after: EventCursor, limit: number): BackfillEvent[];
  /** Adds (group, instance) aggregate changes in the layout of the migration that asks (only 6 does; PostgreSQL converts it at 8). */
  writeInstanceAggregates(rows: readonly InstanceAggregateDelta[]): void;
}

/** The same steps for a driver that answers asynchronously. */
export type AsyncMigrationSession = { [K in keyof MigrationSession]: (...args: Parameters<MigrationSession[K]>) => Promise<ReturnType<MigrationSession[K]>> };

type MigrationStep =
  | { kind: "lock" }
  | { kind: "createVersionTable" }
  | { kind: "currentVersion" }
  | { kind: "exec"; statement: string }
  | { kind: "record"; migration: Migration }
  | BackfillStep;

/**
 * What a run does with a database a later build migrated (its recorded version above every
 * migration this build knows). SQLite refuses: migration 9 changed the form its rows are stored
 * in, so an older build would misread them, and one machine has no rolling deploy to keep going.
 * PostgreSQL accepts: its migrations so far only add, its stored forms have not changed, and
 * during a rolling deploy the old processes keep starting after the deploy job migrated
 * (docs/operations.md).
 */
export type NewerSchemaPolicy = "refuse" | "accept";

/** Throws NewerSchemaError when `version` is above every migration in `migrations`. */
export function refuseNewerSchema(version: number, migrations: readonly Migration[]): void {
  const known = Math.max(0, ...migrations.map((migration) => migration.version));
  if (version > known) throw new NewerSchemaError(version, known);
}

/** The database was migrated by a later build than this one. */
export class NewerSchemaError extends Error {
  constructor(
    readonly version: number,
    readonly known: number,
  ) {
    super(
      `the database's schema is at version ${version}, newer than this build knows (${known}): run the build that migrated it or a later one (a downgrade needs a backup taken before the upgrade)`,
    );
    this.name = "NewerSchemaError";
  }
}

/**
 * The one algorithm: under the lock, apply every migration above the recorded version, in order,
 * each with its version record, inside the caller's transaction; a second process starting at the
 * same moment waits, then finds the schema current; a failure rolls the whole run back.
 */
function* migrationPlan(migrations: readonly Migration[], newerSchema: NewerSchemaPolicy): Generator<MigrationStep, MigrationResult, unknown> {
  yield { kind: "lock" };
  yield { kind: "createVersionTable" };
  let version = (yield { kind: "currentVersion" }) as number;
  if (newerSchema === "refuse") refuseNewerSchema(version, migrations);
  const applied: number[] = [];
  for (const migration of migrations) {
    if (migration.version <= version) continue;
    for (const statement of migrationStatements(migration.sql)) yield { kind: "exec", statement };
    if (migration.backfill) yield* migration.backfill();
    yield { kind: "record", migration };
    applied.push(migration.version);
    version = migration.version;
  }
  return { applied, version };
}

function perform(session: MigrationSession | AsyncMigrationSession, step: MigrationStep): unknown {
  switch (step.kind) {
    case "lock":
      return session.lock();
    case "createVersionTable":
      return session.createVersionTable();
    case "currentVersion":
      return session.currentVersion();
    case "exec":
      return session.exec(step.statement);
    case "record":
      return session.record(step.migration);
    case "readEvents":
      return session.readEvents(step.after, step.limit);
    case "writeInstanceAggregates":
      return session.writeInstanceAggregates(step.rows);
  }
}

/** Runs the plan on a synchronous driver (SQLite), in the caller's transaction. */
export function runMigrations(session: MigrationSession, migrations: readonly Migration[], newerSchema: NewerSchemaPolicy): MigrationResult {
  const plan = migrationPlan(migrations, newerSchema);
  let next = plan.next();
  while (!next.done) next = plan.next(perform(session, next.value));
  return next.value;
}

/** Runs the plan on an asynchronous driver (PostgreSQL), in the caller's transaction. */
export async function runMigrationsAsync(
  session: AsyncMigrationSession,
  migrations: readonly Migration[],
  newerSchema: NewerSchemaPolicy,
): Promise<MigrationResult> {
  const plan = migrationPlan(migrations, newerSchema);
  let next = plan.next();
  while (!next.done) next = plan.next(await perform(session, next.value));
  return next.value;
}
