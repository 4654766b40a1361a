import type { Migration } from "./migration.js";

/**
 * Migration 8 on both engines: PostgreSQL keeps each (group, instance) aggregate's sketches in its
 * own row, one bytea per metric (`<metric>_sketch`: postgres/sketch-bytes.ts), instead of a row
 * of `instance_bins` per (group, instance, metric, bin). Ingest merges them under the row lock
 * its upsert takes (postgres-ingest.ts): a group commit of several instances wrote each
 * instance's bins as rows of their own, which made PostgreSQL spend more per event than before
 * the per-instance aggregates (docs/decisions/0011-instance-aggregates.md). The conversion folds
 * the bin rows into those bytes (int4send and float8send: big-endian) in the migration's
 * transaction, then drops `instance_bins`.
 *
 * SQLite's sketches are one sparse BLOB per metric in the row since migration 6: nothing to
 * change, so its version 8 runs no statement and only keeps the two engines' versions in step.
 */
export const SQLITE_SKETCHES_IN_ROW_MIGRATION: Migration = {
  version: 8,
  name: "sketches in the aggregate row (PostgreSQL; nothing on SQLite)",
  sql: "",
};

// The metrics as they were when this migration was released (SKETCH_METRICS then): its text
// must not change with later code.
const PER_METRIC = ["input_tokens", "output_tokens", "cost_usd_micros", "duration_ms"].map((metric) => ({ metric, column: `${metric}_sketch` }));

export const POSTGRES_SKETCHES_IN_ROW_MIGRATION: Migration = {
  version: 8,
  name: "sketches in the aggregate row (PostgreSQL; nothing on SQLite)",
  sql: `
ALTER TABLE instance_aggregates
  ${PER_METRIC.map(({ column }) => `ADD COLUMN ${column} bytea NOT NULL DEFAULT ''`).join(",\n  ")};

UPDATE instance_aggregates a SET
  ${PER_METRIC.map(({ column }) => `${column} = s.${column}`).join(",\n  ")}
FROM (
  SELECT group_key, instance_id,
    ${PER_METRIC.map(
      ({ metric, column }) =>
        `coalesce(string_agg(int4send(bin) || float8send(count::float8), ''::bytea ORDER BY bin) FILTER (WHERE metric = '${metric}'), '') AS ${column}`,
    ).join(",\n    ")}
  FROM instance_bins GROUP BY group_key, instance_id
) AS s
WHERE a.group_key = s.group_key AND a.instance_id = s.instance_id;

DROP TABLE instance_bins;
`,
};
