import type { Migration } from "../migration.js";

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
];
