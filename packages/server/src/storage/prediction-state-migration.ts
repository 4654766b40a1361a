import type { Migration } from "./migration.js";

/**
 * Migration 7 on both engines: the state the predictor shares between server processes.
 * - The noise key: crowd-snapshot noise is drawn from (this key, the snapshot window, the
 *   snapshot's data), so within an interval the same data gives the same noise at every level
 *   and in every process, and each interval draws afresh (docs/predictions.md). Made by the first process that needs it (a random value from
 *   node:crypto; never in a migration's text, which is the same for every install).
 * - The refresh lease: which process recomputes every group's snapshot this interval. One row,
 *   taken by a conditional upsert when the previous lease has run out.
 */
export const SQLITE_PREDICTION_STATE_MIGRATION: Migration = {
  version: 7,
  name: "prediction noise key and refresh lease",
  sql: `
CREATE TABLE prediction_noise_key (
  id INTEGER PRIMARY KEY CHECK (id = 1),
  key TEXT NOT NULL
) STRICT;

CREATE TABLE prediction_refresh_lease (
  id INTEGER PRIMARY KEY CHECK (id = 1),
  held_until INTEGER NOT NULL
) STRICT;
`,
};

export const POSTGRES_PREDICTION_STATE_MIGRATION: Migration = {
  version: 7,
  name: "prediction noise key and refresh lease",
  sql: `
CREATE TABLE prediction_noise_key (
  id integer PRIMARY KEY CHECK (id = 1),
  key text NOT NULL
);

CREATE TABLE prediction_refresh_lease (
  id integer PRIMARY KEY CHECK (id = 1),
  held_until timestamptz NOT NULL
);
`,
};
