/**
 * Migration 4 on both engines (issue 13): the stored crowd snapshots, and indexes on the events'
 * four dimensions (all instances; one instance) so a snapshot or an own-history answer reads only
 * its group's events. The indexes are expressions over the stored payload: no column to fill at
 * ingest and no backfill.
 */
export const SQLITE_PREDICTION_MIGRATION = {
  version: 4,
  name: "prediction snapshots",
  sql: `
CREATE INDEX events_dimensions ON events (json_extract(payload, '$.provider'), json_extract(payload, '$.model'),
  json_extract(payload, '$.task_type'), json_extract(payload, '$.complexity'));

CREATE INDEX events_instance_dimensions ON events (instance_id, json_extract(payload, '$.provider'),
  json_extract(payload, '$.model'), json_extract(payload, '$.task_type'), json_extract(payload, '$.complexity'));

CREATE TABLE prediction_snapshots (
  group_key TEXT PRIMARY KEY,
  computed_at INTEGER NOT NULL,
  body TEXT NOT NULL
) STRICT, WITHOUT ROWID;
`,
};

export const POSTGRES_PREDICTION_MIGRATION = {
  version: 4,
  name: "prediction snapshots",
  sql: `
CREATE INDEX events_dimensions ON events ((payload->>'provider'), (payload->>'model'), (payload->>'task_type'), (payload->>'complexity'));

CREATE INDEX events_instance_dimensions ON events (instance_id, (payload->>'provider'), (payload->>'model'),
  (payload->>'task_type'), (payload->>'complexity'));

CREATE TABLE prediction_snapshots (
  group_key text PRIMARY KEY,
  computed_at timestamptz NOT NULL,
  body text NOT NULL
);
`,
};
