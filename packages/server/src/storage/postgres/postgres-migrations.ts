import type { Migration } from "../migration.js";
import { COMPACT_EVENTS_MIGRATION } from "../compact-events-migration.js";
import { POSTGRES_PREDICTION_MIGRATION } from "../prediction-migration.js";
import { POSTGRES_PREDICTION_STATE_MIGRATION } from "../prediction-state-migration.js";
import { POSTGRES_SKETCHES_IN_ROW_MIGRATION } from "../sketches-in-row-migration.js";
import { instanceAggregatesBackfill } from "../instance-aggregates-backfill.js";
import { ALL_INSTANCES_BACKFILL_SQL, RATIO_COLUMNS, rollupBackfillSql } from "../usage-rollup.js";

/**
 * PostgreSQL schema, version for version the same tables as sqlite-migrations.ts. Times are
 * timestamptz; counts bigint; sums double precision (see docs/decisions/0001-storage.md).
 * The payload is json, not jsonb: json keeps the text as sent, and jsonb rejects the escape
 * \u0000 that a valid event may carry in a free-text field.
 */
/**
 * The stored payload with each \u0000 escape turned into \ufffd: json operators refuse to read a
 * document holding \u0000 (any field of it) into text; builds before the validator's rule on
 * control characters in `model` stored such events.
 */
const READABLE_PAYLOAD = "(CASE WHEN strpos(payload::text, '\\u0000') > 0 THEN replace(payload::text, '\\u0000', '\\ufffd')::json ELSE payload END)";

export const POSTGRES_MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: "initial schema",
    sql: `
CREATE TABLE instances (
  id text PRIMARY KEY,
  name text NOT NULL,
  created_at timestamptz NOT NULL
);

CREATE TABLE api_keys (
  id text PRIMARY KEY,
  instance_id text NOT NULL REFERENCES instances (id),
  hash text NOT NULL UNIQUE,
  display text NOT NULL,
  created_at timestamptz NOT NULL,
  revoked_at timestamptz,
  expires_at timestamptz
);

CREATE INDEX api_keys_instance_id ON api_keys (instance_id);

CREATE TABLE events (
  instance_id text NOT NULL,
  event_id text NOT NULL,
  received_at timestamptz NOT NULL,
  "timestamp" timestamptz NOT NULL,
  payload json NOT NULL,
  PRIMARY KEY (instance_id, event_id)
);

CREATE TABLE instance_usage (
  instance_id text PRIMARY KEY,
  events bigint NOT NULL,
  first_event_at timestamptz NOT NULL,
  last_event_at timestamptz NOT NULL
);

CREATE TABLE aggregate_groups (
  group_key text PRIMARY KEY,
  level smallint NOT NULL,
  parent_key text,
  events bigint NOT NULL,
  contributors bigint NOT NULL,
  sum_estimated_input_tokens double precision NOT NULL,
  sum_actual_input_tokens double precision NOT NULL,
  sum_estimated_output_tokens double precision NOT NULL,
  sum_actual_output_tokens double precision NOT NULL,
  gate_passed bigint NOT NULL,
  successes bigint NOT NULL,
  last_updated timestamptz
);

CREATE INDEX aggregate_groups_parent_key ON aggregate_groups (parent_key);

CREATE TABLE group_bins (
  group_key text NOT NULL,
  metric text NOT NULL,
  bin integer NOT NULL,
  count bigint NOT NULL,
  PRIMARY KEY (group_key, metric, bin)
);

CREATE TABLE group_instances (
  group_key text NOT NULL,
  instance_id text NOT NULL,
  events bigint NOT NULL,
  PRIMARY KEY (group_key, instance_id)
);
`,
  },
  {
    version: 2,
    name: "one row per sketch (SQLite only)",
    // SQLite keeps each sketch as one BLOB from version 2 because its reads run their per-row step
    // in the server process; PostgreSQL walks the bin rows inside the database with a window
    // function and sends only the located bins, so its bins stay rows (decision 0001). Recorded
    // here with no statement so that a version means the same step on both engines.
    sql: "",
  },
  {
    version: 3,
    name: "usage rollups",
    // The same table as SQLite's version 3 (hour as timestamptz), built from the stored events
    // with the fold's rules. Events already have their time as a column; they gain their actual
    // cost, and an index on (instance_id, "timestamp") that carries it (INCLUDE), so the
    // costliest-events read walks the range's index entries only. date_trunc names UTC: the
    // session's time zone must not move an hour's boundary. A model holding \u0000 (accepted by
    // builds before the validator refused it) is read with U+FFFD in its place, as rollupModel
    // does: json operators cannot read a \u0000 into text, so the escape is replaced in the text.
    sql: `
CREATE TABLE usage_rollups (
  instance_id text NOT NULL,
  hour timestamptz NOT NULL,
  provider text NOT NULL,
  model text NOT NULL,
  task_type text NOT NULL,
  complexity text NOT NULL,
  harness text NOT NULL,
  outcome text NOT NULL,
  events bigint NOT NULL,
  input_tokens double precision NOT NULL,
  output_tokens double precision NOT NULL,
  cost_usd_micros double precision NOT NULL,
  duration_ms double precision NOT NULL,
  gate_passed bigint NOT NULL,
  successes bigint NOT NULL,
  estimated_events bigint NOT NULL,
  estimated_input_tokens double precision NOT NULL,
  estimated_output_tokens double precision NOT NULL,
  estimated_cost_usd_micros double precision NOT NULL,
  estimated_actual_input_tokens double precision NOT NULL,
  estimated_actual_output_tokens double precision NOT NULL,
  estimated_actual_cost_usd_micros double precision NOT NULL,
  ${RATIO_COLUMNS.map((column) => `${column} bigint NOT NULL`).join(",\n  ")},
  PRIMARY KEY (instance_id, hour, provider, model, task_type, complexity, harness, outcome)
);

CREATE INDEX usage_rollups_hour ON usage_rollups (hour);

ALTER TABLE events ADD COLUMN cost_usd_micros bigint NOT NULL DEFAULT 0;

UPDATE events SET cost_usd_micros = (${READABLE_PAYLOAD} ->> 'actual_cost_usd_micros')::bigint;

CREATE INDEX events_instance_timestamp ON events (instance_id, "timestamp") INCLUDE (cost_usd_micros);

${rollupBackfillSql(`SELECT instance_id, date_trunc('hour', "timestamp", 'UTC') AS hour,
  payload ->> 'provider' AS provider, payload ->> 'model' AS model,
  payload ->> 'task_type' AS task_type, payload ->> 'complexity' AS complexity,
  payload ->> 'harness' AS harness, payload ->> 'outcome' AS outcome,
  (payload ->> 'actual_input_tokens')::float8 AS ai,
  (payload ->> 'actual_output_tokens')::float8 AS ao,
  (payload ->> 'actual_cost_usd_micros')::float8 AS ac,
  (payload ->> 'task_duration_ms')::float8 AS dur,
  (payload ->> 'estimated_input_tokens')::float8 AS ei,
  (payload ->> 'estimated_output_tokens')::float8 AS eo,
  (payload ->> 'estimated_cost_usd_micros')::float8 AS ec,
  CASE WHEN (payload ->> 'quality_gate_passed')::boolean THEN 1 ELSE 0 END AS gate,
  CASE WHEN (payload ->> 'estimated_input_tokens')::numeric + (payload ->> 'estimated_output_tokens')::numeric > 0 THEN 1 ELSE 0 END AS est
FROM (SELECT instance_id, "timestamp",
  ${READABLE_PAYLOAD} AS payload
  FROM events) AS events`)};
`,
  },
  POSTGRES_PREDICTION_MIGRATION,
  {
    version: 5,
    name: "all-instances usage rollups",
    // The same table as SQLite's version 5 (hour as timestamptz), filled from the stored rollups.
    sql: `
CREATE TABLE usage_rollups_all (
  hour timestamptz NOT NULL,
  provider text NOT NULL,
  model text NOT NULL,
  task_type text NOT NULL,
  complexity text NOT NULL,
  harness text NOT NULL,
  outcome text NOT NULL,
  events bigint NOT NULL,
  input_tokens double precision NOT NULL,
  output_tokens double precision NOT NULL,
  cost_usd_micros double precision NOT NULL,
  duration_ms double precision NOT NULL,
  gate_passed bigint NOT NULL,
  successes bigint NOT NULL,
  estimated_events bigint NOT NULL,
  estimated_input_tokens double precision NOT NULL,
  estimated_output_tokens double precision NOT NULL,
  estimated_cost_usd_micros double precision NOT NULL,
  estimated_actual_input_tokens double precision NOT NULL,
  estimated_actual_output_tokens double precision NOT NULL,
  estimated_actual_cost_usd_micros double precision NOT NULL,
  ${RATIO_COLUMNS.map((column) => `${column} bigint NOT NULL`).join(",\n  ")},
  PRIMARY KEY (hour, provider, model, task_type, complexity, harness, outcome)
);

${ALL_INSTANCES_BACKFILL_SQL};

DROP INDEX usage_rollups_hour;
`,
  },
  {
    version: 6,
    name: "per-instance aggregates",
    // The same aggregates as SQLite's version 6, one row per (group, instance); the sketches as a
    // row per (group, instance, metric, bin), added to by ON CONFLICT in the ingest transaction,
    // which stays correct with several processes ingesting at once (row locks in key order).
    // Filled from the stored events by ingest's own fold (instance-aggregates-backfill.ts).
    sql: `
CREATE TABLE instance_aggregates (
  group_key text NOT NULL,
  instance_id text NOT NULL,
  events bigint NOT NULL,
  sum_estimated_input_tokens double precision NOT NULL,
  sum_actual_input_tokens double precision NOT NULL,
  sum_estimated_output_tokens double precision NOT NULL,
  sum_actual_output_tokens double precision NOT NULL,
  gate_passed bigint NOT NULL,
  successes bigint NOT NULL,
  last_updated timestamptz NOT NULL,
  PRIMARY KEY (group_key, instance_id)
);

CREATE TABLE instance_bins (
  group_key text NOT NULL,
  instance_id text NOT NULL,
  metric text NOT NULL,
  bin integer NOT NULL,
  count bigint NOT NULL,
  PRIMARY KEY (group_key, instance_id, metric, bin)
);

DROP TABLE aggregate_groups;

DROP TABLE group_bins;

DROP TABLE group_instances;

DROP INDEX events_dimensions;

DROP INDEX events_instance_dimensions;
`,
    backfill: instanceAggregatesBackfill,
  },
  POSTGRES_PREDICTION_STATE_MIGRATION,
  POSTGRES_SKETCHES_IN_ROW_MIGRATION,
  COMPACT_EVENTS_MIGRATION,
];
