import { SKETCH_METRICS } from "../aggregation/sketch-metrics.js";
import type { Migration } from "./migration.js";

/**
 * Migration 8 on both engines: PostgreSQL keeps each (group, instance) aggregate's sketches in its
 * own row, one pair of arrays per metric (`<metric>_bins` integer[] ascending, `<metric>_counts`
 * bigint[] aligned with it), instead of a row of `instance_bins` per (group, instance, metric,
 * bin). Ingest merges them under the row lock its upsert takes (postgres-ingest.ts): a group
 * commit of several instances wrote each instance's bins as rows of their own, which made
 * PostgreSQL spend more per event than before the per-instance aggregates
 * (docs/decisions/0011-instance-aggregates.md). The conversion folds the bin rows into the arrays
 * in the migration's transaction, then drops `instance_bins`.
 *
 * SQLite's sketches are one sparse BLOB per metric in the row since migration 6: nothing to
 * change, so its version 8 runs no statement and only keeps the two engines' versions in step.
 */
export const SQLITE_SKETCH_ARRAYS_MIGRATION: Migration = {
  version: 8,
  name: "sketches in the aggregate row (PostgreSQL; nothing on SQLite)",
  sql: "",
};

const PER_METRIC = SKETCH_METRICS.map((metric) => ({ metric, bins: `${metric}_bins`, counts: `${metric}_counts` }));

export const POSTGRES_SKETCH_ARRAYS_MIGRATION: Migration = {
  version: 8,
  name: "sketches in the aggregate row (PostgreSQL; nothing on SQLite)",
  sql: `
ALTER TABLE instance_aggregates
  ${PER_METRIC.map(({ bins, counts }) => `ADD COLUMN ${bins} integer[] NOT NULL DEFAULT '{}', ADD COLUMN ${counts} bigint[] NOT NULL DEFAULT '{}'`).join(",\n  ")};

UPDATE instance_aggregates a SET
  ${PER_METRIC.map(({ bins, counts }) => `${bins} = s.${bins}, ${counts} = s.${counts}`).join(",\n  ")}
FROM (
  SELECT group_key, instance_id,
    ${PER_METRIC.map(
      ({ metric, bins, counts }) =>
        `coalesce(array_agg(bin ORDER BY bin) FILTER (WHERE metric = '${metric}'), '{}') AS ${bins}, ` +
        `coalesce(array_agg(count ORDER BY bin) FILTER (WHERE metric = '${metric}'), '{}') AS ${counts}`,
    ).join(",\n    ")}
  FROM instance_bins GROUP BY group_key, instance_id
) AS s
WHERE a.group_key = s.group_key AND a.instance_id = s.instance_id;

DROP TABLE instance_bins;
`,
};
