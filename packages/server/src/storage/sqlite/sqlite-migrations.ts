import type { Migration } from "../migration.js";
import { COMPACT_EVENTS_MIGRATION } from "../compact-events-migration.js";
import { SQLITE_PREDICTION_MIGRATION } from "../prediction-migration.js";
import { SQLITE_PREDICTION_STATE_MIGRATION } from "../prediction-state-migration.js";
import { SQLITE_SKETCHES_IN_ROW_MIGRATION } from "../sketches-in-row-migration.js";
import { instanceAggregatesBackfill } from "../instance-aggregates-backfill.js";
import { SKETCH_COLUMNS } from "./sqlite-sql.js";
import { ALL_INSTANCES_BACKFILL_SQL, RATIO_COLUMNS, rollupBackfillSql } from "../usage-rollup.js";

/**
 * SQLite schema. Times are epoch milliseconds (INTEGER) so comparisons and MAX() are numeric;
 * the event's own timestamp stays the ISO text it arrived as. STRICT tables reject a value of the
 * wrong type instead of storing it silently. Sums are REAL: see docs/decisions/0001-storage.md.
 */
export const SQLITE_MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: "initial schema",
    sql: `
CREATE TABLE instances (
  id TEXT PRIMARY KEY,
  name TEXT NOT NULL,
  created_at INTEGER NOT NULL
) STRICT;

CREATE TABLE api_keys (
  id TEXT PRIMARY KEY,
  instance_id TEXT NOT NULL REFERENCES instances (id),
  hash TEXT NOT NULL UNIQUE,
  display TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  revoked_at INTEGER,
  expires_at INTEGER
) STRICT;

CREATE INDEX api_keys_instance_id ON api_keys (instance_id);

-- A rowid table, not WITHOUT ROWID: rows carry a ~1 KB JSON payload, and WITHOUT ROWID suits
-- small rows only (https://www.sqlite.org/withoutrowid.html); measured 2x faster ingest here.
CREATE TABLE events (
  instance_id TEXT NOT NULL,
  event_id TEXT NOT NULL,
  received_at INTEGER NOT NULL,
  timestamp TEXT NOT NULL,
  payload TEXT NOT NULL,
  PRIMARY KEY (instance_id, event_id)
) STRICT;

CREATE TABLE instance_usage (
  instance_id TEXT PRIMARY KEY,
  events INTEGER NOT NULL,
  first_event_at INTEGER NOT NULL,
  last_event_at INTEGER NOT NULL
) STRICT;

CREATE TABLE aggregate_groups (
  group_key TEXT PRIMARY KEY,
  level INTEGER NOT NULL,
  parent_key TEXT,
  events INTEGER NOT NULL,
  contributors INTEGER NOT NULL,
  sum_estimated_input_tokens REAL NOT NULL,
  sum_actual_input_tokens REAL NOT NULL,
  sum_estimated_output_tokens REAL NOT NULL,
  sum_actual_output_tokens REAL NOT NULL,
  gate_passed INTEGER NOT NULL,
  successes INTEGER NOT NULL,
  last_updated INTEGER
) STRICT;

CREATE INDEX aggregate_groups_parent_key ON aggregate_groups (parent_key);

CREATE TABLE group_bins (
  group_key TEXT NOT NULL,
  metric TEXT NOT NULL,
  bin INTEGER NOT NULL,
  count INTEGER NOT NULL,
  PRIMARY KEY (group_key, metric, bin)
) STRICT, WITHOUT ROWID;

CREATE TABLE group_instances (
  group_key TEXT NOT NULL,
  instance_id TEXT NOT NULL,
  events INTEGER NOT NULL,
  PRIMARY KEY (group_key, instance_id)
) STRICT, WITHOUT ROWID;
`,
  },
  {
    version: 2,
    name: "one row per sketch",
    // Each (group, metric) sketch as one dense BLOB (dense-sketch.ts) instead of one row per bin,
    // built from the bin rows by sketch_of_bins (sketch-functions.ts). WITHOUT ROWID: a read finds a
    // group's four sketches in one range of the key; a sketch of ~300 bins (2.4 KB) stays within
    // the 4 KB a 16 KiB page keeps in the row, a wider one continues on an overflow page.
    sql: `
CREATE TABLE group_sketches (
  group_key TEXT NOT NULL,
  metric TEXT NOT NULL,
  sketch BLOB NOT NULL,
  PRIMARY KEY (group_key, metric)
) STRICT, WITHOUT ROWID;

INSERT INTO group_sketches (group_key, metric, sketch)
SELECT group_key, metric, sketch_of_bins(bin, count) FROM group_bins GROUP BY group_key, metric;

DROP TABLE group_bins;
`,
  },
  {
    version: 3,
    name: "usage rollups",
    // Per instance, UTC hour of the event's own timestamp and six dimensions: the sums a usage
    // time series reads (usage-rollup.ts), built here from the events already stored with the
    // fold's own rules (the bucket SQL is generated from its constants). Events gain their time
    // (epoch ms) and actual cost as columns, for the costliest-events read: the index keeps both
    // beside the instance, so that read walks the range's index entries, never the payloads.
    // A model holding U+0000 (builds before the validator refused it) counts with U+FFFD in its
    // place, as rollupModel does: the escape is replaced in the payload's text before it is read
    // (SQLite's replace() cannot match a NUL character, PostgreSQL cannot read one into text).
    sql: `
CREATE TABLE usage_rollups (
  instance_id TEXT NOT NULL,
  hour INTEGER NOT NULL,
  provider TEXT NOT NULL,
  model TEXT NOT NULL,
  task_type TEXT NOT NULL,
  complexity TEXT NOT NULL,
  harness TEXT NOT NULL,
  outcome TEXT NOT NULL,
  events INTEGER NOT NULL,
  input_tokens REAL NOT NULL,
  output_tokens REAL NOT NULL,
  cost_usd_micros REAL NOT NULL,
  duration_ms REAL NOT NULL,
  gate_passed INTEGER NOT NULL,
  successes INTEGER NOT NULL,
  estimated_events INTEGER NOT NULL,
  estimated_input_tokens REAL NOT NULL,
  estimated_output_tokens REAL NOT NULL,
  estimated_cost_usd_micros REAL NOT NULL,
  estimated_actual_input_tokens REAL NOT NULL,
  estimated_actual_output_tokens REAL NOT NULL,
  estimated_actual_cost_usd_micros REAL NOT NULL,
  ${RATIO_COLUMNS.map((column) => `${column} INTEGER NOT NULL`).join(",\n  ")},
  PRIMARY KEY (instance_id, hour, provider, model, task_type, complexity, harness, outcome)
) STRICT, WITHOUT ROWID;

CREATE INDEX usage_rollups_hour ON usage_rollups (hour);

ALTER TABLE events ADD COLUMN occurred_at INTEGER NOT NULL DEFAULT 0;

ALTER TABLE events ADD COLUMN cost_usd_micros INTEGER NOT NULL DEFAULT 0;

UPDATE events SET
  occurred_at = CAST(round(unixepoch(timestamp, 'subsec') * 1000) AS INTEGER),
  cost_usd_micros = json_extract(payload, '$.actual_cost_usd_micros');

CREATE INDEX events_instance_occurred ON events (instance_id, occurred_at, cost_usd_micros);

${rollupBackfillSql(`SELECT instance_id, unixepoch(timestamp) / 3600 * 3600000 AS hour,
  json_extract(payload, '$.provider') AS provider, json_extract(payload, '$.model') AS model,
  json_extract(payload, '$.task_type') AS task_type, json_extract(payload, '$.complexity') AS complexity,
  json_extract(payload, '$.harness') AS harness, json_extract(payload, '$.outcome') AS outcome,
  CAST(json_extract(payload, '$.actual_input_tokens') AS REAL) AS ai,
  CAST(json_extract(payload, '$.actual_output_tokens') AS REAL) AS ao,
  CAST(json_extract(payload, '$.actual_cost_usd_micros') AS REAL) AS ac,
  CAST(json_extract(payload, '$.task_duration_ms') AS REAL) AS dur,
  CAST(json_extract(payload, '$.estimated_input_tokens') AS REAL) AS ei,
  CAST(json_extract(payload, '$.estimated_output_tokens') AS REAL) AS eo,
  CAST(json_extract(payload, '$.estimated_cost_usd_micros') AS REAL) AS ec,
  CASE WHEN json_extract(payload, '$.quality_gate_passed') THEN 1 ELSE 0 END AS gate,
  CASE WHEN json_extract(payload, '$.estimated_input_tokens') + json_extract(payload, '$.estimated_output_tokens') > 0 THEN 1 ELSE 0 END AS est
FROM (SELECT instance_id, timestamp,
  CASE WHEN instr(payload, '\\u0000') > 0 THEN replace(payload, '\\u0000', '\\ufffd') ELSE payload END AS payload FROM events) AS events`)};
`,
  },
  SQLITE_PREDICTION_MIGRATION,
  {
    version: 5,
    name: "all-instances usage rollups",
    // usage_rollups' sums without the instance, kept at ingest in the same transaction
    // (usage-rollup.ts): the all-instances series reads one row per (hour, dimensions) however many
    // instances send. The key leads with the hour, so a range read is a range of the key. Filled
    // from the stored rollups, summed across instances as the ingest's upserts sum them. The hour
    // index of usage_rollups served only the all-instances read: dropped, one write less per row.
    sql: `
CREATE TABLE usage_rollups_all (
  hour INTEGER NOT NULL,
  provider TEXT NOT NULL,
  model TEXT NOT NULL,
  task_type TEXT NOT NULL,
  complexity TEXT NOT NULL,
  harness TEXT NOT NULL,
  outcome TEXT NOT NULL,
  events INTEGER NOT NULL,
  input_tokens REAL NOT NULL,
  output_tokens REAL NOT NULL,
  cost_usd_micros REAL NOT NULL,
  duration_ms REAL NOT NULL,
  gate_passed INTEGER NOT NULL,
  successes INTEGER NOT NULL,
  estimated_events INTEGER NOT NULL,
  estimated_input_tokens REAL NOT NULL,
  estimated_output_tokens REAL NOT NULL,
  estimated_cost_usd_micros REAL NOT NULL,
  estimated_actual_input_tokens REAL NOT NULL,
  estimated_actual_output_tokens REAL NOT NULL,
  estimated_actual_cost_usd_micros REAL NOT NULL,
  ${RATIO_COLUMNS.map((column) => `${column} INTEGER NOT NULL`).join(",\n  ")},
  PRIMARY KEY (hour, provider, model, task_type, complexity, harness, outcome)
) STRICT, WITHOUT ROWID;

${ALL_INSTANCES_BACKFILL_SQL};

DROP INDEX usage_rollups_hour;
`,
  },
  {
    version: 6,
    name: "per-instance aggregates",
    // One row per (group, instance), kept at ingest in the events' transaction: what crowd
    // snapshots and own history read (docs/decisions/0011-instance-aggregates.md). Each metric's
    // sketch is a sparse BLOB column of the row (sparse-sketch.ts), merged by sketch_add; rows
    // stay small (~0.5 KB at 1 M events), so WITHOUT ROWID: one B-tree, a group one key range.
    // The group-wide aggregates and the dimension indexes on events served reads nothing makes
    // any more. Filled from the stored events by ingest's own fold (instance-aggregates-backfill.ts).
    sql: `
CREATE TABLE instance_aggregates (
  group_key TEXT NOT NULL,
  instance_id TEXT NOT NULL,
  events INTEGER NOT NULL,
  sum_estimated_input_tokens REAL NOT NULL,
  sum_actual_input_tokens REAL NOT NULL,
  sum_estimated_output_tokens REAL NOT NULL,
  sum_actual_output_tokens REAL NOT NULL,
  gate_passed INTEGER NOT NULL,
  successes INTEGER NOT NULL,
  last_updated INTEGER NOT NULL,
  ${SKETCH_COLUMNS.map((column) => `${column} BLOB NOT NULL`).join(",\n  ")},
  PRIMARY KEY (group_key, instance_id)
) STRICT, WITHOUT ROWID;

DROP TABLE aggregate_groups;

DROP TABLE group_sketches;

DROP TABLE group_instances;

DROP INDEX events_dimensions;

DROP INDEX events_instance_dimensions;
`,
    backfill: instanceAggregatesBackfill,
  },
  SQLITE_PREDICTION_STATE_MIGRATION,
  SQLITE_SKETCHES_IN_ROW_MIGRATION,
  COMPACT_EVENTS_MIGRATION,
];
