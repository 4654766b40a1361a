/**
 * Where one PostgreSQL ingest transaction spends its time, statement by statement: the built
 * PostgresStorage on one pooled connection, 100-event batches like bench/server-scale's,
 * 50 batches of warm-up, then the mean wall time per batch of each statement.
 *
 *   npm run build
 *   MOSAIC_TEST_DATABASE_URL=postgres://postgres@127.0.0.1:5432/test \
 *     flock /tmp/bench.lock node bench/lib/scale-statement-times.mjs
 */
import { randomBytes, randomUUID } from "node:crypto";
import process from "node:process";
import pg from "pg";
import { PostgresStorage } from "../../packages/server/dist/storage/postgres/postgres-storage.js";
import { withEventArrays } from "./server-dist.mjs";
import { buildBatches } from "./scale-load.mjs";

const url = process.env.MOSAIC_TEST_DATABASE_URL ?? process.env.DATABASE_URL;
if (!url) {
  console.log("set MOSAIC_TEST_DATABASE_URL");
  process.exit(1);
}
const WARM = 50;
const MEASURED = 100;
const admin = new pg.Client({ connectionString: url });
await admin.connect();
const schema = `stmt_${randomBytes(4).toString("hex")}`;
await admin.query(`CREATE SCHEMA ${schema}`);
const target = new URL(url);
target.searchParams.set("options", `-c search_path=${schema}`);
const pool = new pg.Pool({ connectionString: target.toString(), max: 1 });
const times = new Map();
const connect = pool.connect.bind(pool);
// Wrap the transaction client's query to time each statement by its first line.
pool.connect = async () => {
  const client = await connect();
  if (!client.timed) {
    const query = client.query.bind(client);
    client.query = async (text, values) => {
      const started = process.hrtime.bigint();
      const result = await query(text, values);
      const name = text.trim().split("\n")[0].slice(0, 48);
      times.set(name, (times.get(name) ?? 0) + Number(process.hrtime.bigint() - started) / 1e6);
      return result;
    };
    client.timed = true;
  }
  return client;
};
try {
  const storage = await withEventArrays(new PostgresStorage(pool));
  await storage.applyMigrations();
  const instanceId = randomUUID();
  await admin.query(`INSERT INTO ${schema}.instances VALUES ($1, 'statement-times', now())`, [instanceId]);
  const batches = buildBatches([{ instanceId, key: "" }], WARM + MEASURED).map((batch) => JSON.parse(batch.body.toString()).events);
  for (const batch of batches.slice(0, WARM)) await storage.ingestEvents(instanceId, batch, new Date());
  times.clear();
  const started = process.hrtime.bigint();
  for (const batch of batches.slice(WARM)) await storage.ingestEvents(instanceId, batch, new Date());
  console.log(`ms per 100-event batch: ${(Number(process.hrtime.bigint() - started) / 1e6 / MEASURED).toFixed(2)}`);
  for (const [name, ms] of [...times].sort((a, b) => b[1] - a[1])) console.log(`${(ms / MEASURED).toFixed(2).padStart(7)} ms  ${name}`);
  await storage.close();
} finally {
  await admin.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
  await admin.end();
}
