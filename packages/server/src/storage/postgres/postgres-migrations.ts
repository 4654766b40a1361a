import type { Migration } from "../migration.js";

/**
 * PostgreSQL schema, version for version the same tables as sqlite-migrations.ts. Times are
 * timestamptz; counts bigint; sums double precision (see docs/decisions/0001-storage.md).
 * The payload is json, not jsonb: json keeps the text as sent, and jsonb rejects the escape
 * \u0000 that a valid event may carry in a free-text field.
 */
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
];
