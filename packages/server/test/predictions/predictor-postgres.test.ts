import { randomBytes } from "node:crypto";
import pg from "pg";
import { afterAll, beforeAll, describe } from "vitest";
import { openStorage } from "../../src/storage/open-storage.js";
import { withSearchPath } from "../helpers/postgres-schema.js";
import { predictorCases } from "./predictor-cases.js";

const url = process.env.MOSAIC_TEST_DATABASE_URL;
if (!url) console.warn("predictor-postgres.test.ts: MOSAIC_TEST_DATABASE_URL is unset, predictor tests over PostgreSQL are skipped");

describe.skipIf(!url)(`predictor over real PostgreSQL storage${url ? "" : " (skipped: set MOSAIC_TEST_DATABASE_URL to run)"}`, () => {
  // Each case gets a schema of its own, reached through search_path, all dropped at the end.
  let admin: pg.Client | undefined;
  const schemas: string[] = [];
  beforeAll(async () => {
    admin = new pg.Client({ connectionString: url });
    await admin.connect();
  });
  afterAll(async () => {
    for (const schema of schemas) await admin?.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
    await admin?.end();
  });

  predictorCases(async () => {
    const schema = `p_${randomBytes(6).toString("hex")}`;
    await admin?.query(`CREATE SCHEMA ${schema}`);
    schemas.push(schema);
    const storage = await openStorage({ engine: "postgres", url: withSearchPath(url as string, schema) }, { poolSize: 2 });
    return { storage, dispose: () => storage.close() };
  });
});
