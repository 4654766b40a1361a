import { randomBytes } from "node:crypto";
import pg from "pg";

/**
 * `url` with every connection's search_path set to `schema`, so the storage's unqualified table
 * names land there. Works on any postgres:// URL, a test proxy's address included.
 */
export function withSearchPath(url: string | URL, schema: string): string {
  const target = new URL(url);
  target.searchParams.set("options", `-c search_path=${schema}`);
  return target.toString();
}

/** A schema of its own on the test database: parallel test files never see each other's tables. */
export interface TestSchema {
  name: string;
  /** The database URL reaching this schema (search_path set). */
  url: string;
  /** A connection of the test's own (default search_path: qualify tables with `name`). */
  admin: pg.Client;
  /** Drops the schema and everything in it, and closes `admin`. */
  drop(): Promise<void>;
}

/** Creates `<prefix>_<random hex>` on the database of `url`. */
export async function createTestSchema(url: string, prefix: string): Promise<TestSchema> {
  const name = `${prefix}_${randomBytes(6).toString("hex")}`;
  const admin = new pg.Client({ connectionString: url });
  await admin.connect();
  await admin.query(`CREATE SCHEMA ${name}`);
  return {
    name,
    url: withSearchPath(url, name),
    admin,
    async drop() {
      try {
        await admin.query(`DROP SCHEMA IF EXISTS ${name} CASCADE`);
      } finally {
        await admin.end();
      }
    },
  };
}
