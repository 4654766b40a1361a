import type { Migration } from "./migration.js";

/**
 * PostgreSQL's json operators refuse to read a document holding a \u0000 escape (any field of
 * it) into text, and a valid event may carry one in a free-text field: the index expressions read
 * the payload with each such escape turned into \ufffd, as migration 3 does. The store's reads
 * use the same expressions, so they find the index.
 */
const READABLE_PAYLOAD = "(CASE WHEN strpos(payload::text, '\\u0000') > 0 THEN replace(payload::text, '\\u0000', '\\ufffd')::json ELSE payload END)";
/** The dimension expressions of the events_dimensions indexes, provider first. */
export const POSTGRES_DIMENSIONS = ["provider", "model", "task_type", "complexity"].map((field) => `(${READABLE_PAYLOAD}->>'${field}')`);
export const SQLITE_DIMENSIONS = ["provider", "model", "task_type", "complexity"].map((field) => `json_extract(payload, '$.${field}')`);

/**
 * Migration 4 on both engines (issue 13): the stored crowd snapshots, and indexes on the events'
 * four dimensions (all instances; one instance) so a snapshot or an own-history answer reads only
 * its group's events. The indexes are expressions over the stored payload: no column to fill at
 * ingest and no backfill.
 */
export const SQLITE_PREDICTION_MIGRATION: Migration = {
  version: 4,
  name: "prediction snapshots",
  sql: `
CREATE INDEX events_dimensions ON events (${SQLITE_DIMENSIONS.join(", ")});

CREATE INDEX events_instance_dimensions ON events (instance_id, ${SQLITE_DIMENSIONS.join(", ")});

CREATE TABLE prediction_snapshots (
  group_key TEXT PRIMARY KEY,
  computed_at INTEGER NOT NULL,
  body TEXT NOT NULL
) STRICT, WITHOUT ROWID;
`,
};

export const POSTGRES_PREDICTION_MIGRATION: Migration = {
  version: 4,
  name: "prediction snapshots",
  sql: `
CREATE INDEX events_dimensions ON events (${POSTGRES_DIMENSIONS.join(", ")});

CREATE INDEX events_instance_dimensions ON events (instance_id, ${POSTGRES_DIMENSIONS.join(", ")});

CREATE TABLE prediction_snapshots (
  group_key text PRIMARY KEY,
  computed_at timestamptz NOT NULL,
  body text NOT NULL
);
`,
};
