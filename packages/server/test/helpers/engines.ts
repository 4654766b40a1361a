import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Database from "better-sqlite3";
import pg from "pg";
import type { TaskCompletionEvent } from "@mosaicstack/telemetry-protocol";
import { eventJson } from "../../src/storage/event-json.js";
import type { MigrationResult } from "../../src/storage/migration.js";
import { openStorage, type OpenStorageOptions, type StorageTarget } from "../../src/storage/open-storage.js";
import { POSTGRES_MIGRATIONS } from "../../src/storage/postgres/postgres-migrations.js";
import { PostgresStorage } from "../../src/storage/postgres/postgres-storage.js";
import { SQLITE_MIGRATIONS } from "../../src/storage/sqlite/sqlite-migrations.js";
import { SqliteStorage } from "../../src/storage/sqlite/sqlite-storage.js";
import type { Storage } from "../../src/storage/storage.js";
import { createTestSchema, type TestSchema } from "./postgres-schema.js";

/**
 * The one way tests get each storage engine: SQLite on a file in a temp dir always, PostgreSQL in
 * a fresh schema of its own when MOSAIC_TEST_DATABASE_URL is set (skipped, with the reason in the
 * suite's name, otherwise).
 */

export const PG_URL = process.env["MOSAIC_TEST_DATABASE_URL"];

export type EngineName = "sqlite" | "postgres";

export interface Engine {
  name: EngineName;
  /** Why this engine does not run here, or null when it does. */
  skip: string | null;
}

export const ENGINES: readonly Engine[] = [
  { name: "sqlite", skip: null },
  { name: "postgres", skip: PG_URL ? null : "MOSAIC_TEST_DATABASE_URL is unset" },
];

/** The PostgreSQL entry of ENGINES, for suites that run on PostgreSQL only. */
export const POSTGRES = ENGINES[1] as Engine;

/** `title` with the engine's skip reason, for describe.skipIf: a skipped suite says why in the report. */
export function engineTitle(engine: Engine, title: string): string {
  return `${title}${engine.skip ? ` (skipped: ${engine.skip})` : ""}`;
}

/** A new, empty database of one engine (no tables until storage opens it), and plain SQL on it. */
export interface EngineDatabase {
  engine: EngineName;
  /** What openStorage and the live server take to reach this database. */
  target: StorageTarget;
  /** Opens storage on this database (migrating it); closed by the caller. */
  open(options?: OpenStorageOptions): Promise<Storage>;
  /** Rows of a read-only SELECT through the test's own connection; `?` placeholders on both engines. */
  query<Row>(sql: string, params?: readonly unknown[]): Promise<Row[]>;
  /** Removes the database (the temp dir or the schema) and the test's connection. */
  drop(): Promise<void>;
}

/** Storage opened (migrated) on `database`, whose close also drops the database: one handle for a test to clean up. */
export async function openThenDrop(database: EngineDatabase): Promise<{ storage: Storage; close(): Promise<void> }> {
  const storage = await database.open();
  return {
    storage,
    close: async () => {
      await storage.close();
      await database.drop();
    },
  };
}

/** A fresh database on `engine`; `prefix` names the temp dir or schema so leftovers say whose they are. */
export async function freshDatabase(engine: EngineName, prefix: string): Promise<EngineDatabase> {
  if (engine === "sqlite") {
    const dir = mkdtempSync(join(tmpdir(), `mosaic-${prefix}-`));
    const path = join(dir, "telemetry.db");
    return {
      engine,
      target: { engine: "sqlite", path },
      open: (options) => openStorage({ engine: "sqlite", path }, options),
      query<Row>(sql: string, params: readonly unknown[] = []): Promise<Row[]> {
        const db = new Database(path, { readonly: true, fileMustExist: true });
        try {
          return Promise.resolve(db.prepare(sql).all(...params) as Row[]);
        } finally {
          db.close();
        }
      },
      drop: () => Promise.resolve(rmSync(dir, { recursive: true, force: true })),
    };
  }
  const schema = await freshSchema(prefix);
  return {
    engine,
    target: { engine: "postgres", url: schema.url },
    open: (options) => openStorage({ engine: "postgres", url: schema.url }, options),
    async query<Row>(sql: string, params: readonly unknown[] = []): Promise<Row[]> {
      let n = 0;
      // The admin connection has the default search_path: reach this schema's tables by setting it per query.
      const text = sql.replace(/\?/g, () => `$${(n += 1)}`);
      await schema.admin.query(`SET search_path TO ${schema.name}`);
      return (await schema.admin.query(text, [...params])).rows as Row[];
    },
    drop: () => schema.drop(),
  };
}

/**
 * A fresh schema of its own on the test database, for PostgreSQL-only suites that need what
 * freshDatabase hides: its name and an admin connection (schema-qualified checks, backends by
 * application_name, a URL or name handed to spawned processes). Skip with POSTGRES.skip.
 */
export function freshSchema(prefix: string): Promise<TestSchema> {
  if (!PG_URL) throw new Error("MOSAIC_TEST_DATABASE_URL is unset: PostgreSQL suites must skip (see ENGINES)");
  return createTestSchema(PG_URL, prefix);
}

/** Applies only the first `version` migrations of `database`'s engine, as the build that had just those did, then closes it. */
export async function migrateTo(database: EngineDatabase, version: number): Promise<MigrationResult> {
  const { target } = database;
  const storage =
    target.engine === "sqlite"
      ? new SqliteStorage(new Database(target.path), {}, SQLITE_MIGRATIONS.slice(0, version))
      : new PostgresStorage(new pg.Pool({ connectionString: target.url, max: 2 }), {}, POSTGRES_MIGRATIONS.slice(0, version));
  try {
    return await storage.applyMigrations();
  } finally {
    await storage.close();
  }
}

/** Writes events straight into `database`'s events table, received now, as a build at schema version 2 did: its five columns, the payload as a JSON object (for tests of later migrations). */
export async function insertEventRows(database: EngineDatabase, rows: readonly { instanceId: string; event: TaskCompletionEvent }[]): Promise<void> {
  const { target } = database;
  if (target.engine === "sqlite") {
    const db = new Database(target.path);
    try {
      const insert = db.prepare("INSERT INTO events (instance_id, event_id, received_at, timestamp, payload) VALUES (?, ?, ?, ?, ?)");
      db.transaction(() => {
        for (const { instanceId, event } of rows) insert.run(instanceId, event.event_id, Date.now(), event.timestamp, eventJson(event));
      })();
    } finally {
      db.close();
    }
    return;
  }
  const client = new pg.Client({ connectionString: target.url });
  await client.connect();
  try {
    for (const { instanceId, event } of rows) {
      await client.query('INSERT INTO events (instance_id, event_id, received_at, "timestamp", payload) VALUES ($1, $2, now(), $3::timestamptz, $4::json)', [
        instanceId,
        event.event_id,
        event.timestamp,
        eventJson(event),
      ]);
    }
  } finally {
    await client.end();
  }
}
