import { ALL_INSTANCES_ADD_CLAUSE, ALL_INSTANCES_KEY_COLUMNS, ROLLUP_ADDITIVE_COLUMNS, ROLLUP_ADD_CLAUSE, ROLLUP_KEY_COLUMNS } from "../usage-rollup.js";

/** The SQLite engine's statements, each prepared once per connection (sqlite-connection.ts). */

/** A list of keys as one JSON parameter, expanded by json_each: one cached statement for any length. */
export const KEYS_PARAM = "(SELECT value FROM json_each(?))";

export const INSERT_EVENT =
  "INSERT INTO events (instance_id, event_id, received_at, timestamp, payload, occurred_at, cost_usd_micros) VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING";

/** Inserts a (group, instance) pair; "changed a row" is exactly "this instance is new to this group". */
export const INSERT_PAIR = "INSERT INTO group_instances (group_key, instance_id, events) VALUES (?, ?, ?) ON CONFLICT DO NOTHING";
export const ADD_TO_PAIR = "UPDATE group_instances SET events = events + ? WHERE group_key = ? AND instance_id = ?";

export const UPSERT_GROUP = `
  INSERT INTO aggregate_groups (group_key, level, parent_key, events, contributors,
    sum_estimated_input_tokens, sum_actual_input_tokens, sum_estimated_output_tokens, sum_actual_output_tokens,
    gate_passed, successes, last_updated)
  VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
  ON CONFLICT (group_key) DO UPDATE SET
    events = aggregate_groups.events + excluded.events,
    contributors = aggregate_groups.contributors + excluded.contributors,
    sum_estimated_input_tokens = aggregate_groups.sum_estimated_input_tokens + excluded.sum_estimated_input_tokens,
    sum_actual_input_tokens = aggregate_groups.sum_actual_input_tokens + excluded.sum_actual_input_tokens,
    sum_estimated_output_tokens = aggregate_groups.sum_estimated_output_tokens + excluded.sum_estimated_output_tokens,
    sum_actual_output_tokens = aggregate_groups.sum_actual_output_tokens + excluded.sum_actual_output_tokens,
    gate_passed = aggregate_groups.gate_passed + excluded.gate_passed,
    successes = aggregate_groups.successes + excluded.successes,
    last_updated = MAX(COALESCE(aggregate_groups.last_updated, 0), excluded.last_updated)`;

/** One upsert per (group, metric), merged by sketch_add (sketch-functions.ts). */
export const UPSERT_SKETCH =
  "INSERT INTO group_sketches (group_key, metric, sketch) VALUES (?, ?, ?) ON CONFLICT (group_key, metric) DO UPDATE SET sketch = sketch_add(group_sketches.sketch, excluded.sketch)";

export const UPSERT_USAGE = `
  INSERT INTO instance_usage (instance_id, events, first_event_at, last_event_at) VALUES (?, ?, ?, ?)
  ON CONFLICT (instance_id) DO UPDATE SET
    events = instance_usage.events + excluded.events,
    first_event_at = MIN(instance_usage.first_event_at, excluded.first_event_at),
    last_event_at = MAX(instance_usage.last_event_at, excluded.last_event_at)`;

/** The rollup upsert: one row per (instance, hour, dimensions) a transaction touches. */
export const UPSERT_ROLLUP = `
  INSERT INTO usage_rollups (${[...ROLLUP_KEY_COLUMNS, ...ROLLUP_ADDITIVE_COLUMNS].join(", ")})
  VALUES (${[...ROLLUP_KEY_COLUMNS, ...ROLLUP_ADDITIVE_COLUMNS].map(() => "?").join(", ")})
  ON CONFLICT (${ROLLUP_KEY_COLUMNS.join(", ")}) DO UPDATE SET
    ${ROLLUP_ADD_CLAUSE}`;

/** The all-instances rollup upsert: one row per (hour, dimensions) a transaction touches. */
export const UPSERT_ALL_INSTANCES_ROLLUP = `
  INSERT INTO usage_rollups_all (${[...ALL_INSTANCES_KEY_COLUMNS, ...ROLLUP_ADDITIVE_COLUMNS].join(", ")})
  VALUES (${[...ALL_INSTANCES_KEY_COLUMNS, ...ROLLUP_ADDITIVE_COLUMNS].map(() => "?").join(", ")})
  ON CONFLICT (${ALL_INSTANCES_KEY_COLUMNS.join(", ")}) DO UPDATE SET
    ${ALL_INSTANCES_ADD_CLAUSE}`;

/**
 * Each asked group's sketches, one row and one BLOB per metric (dense-sketch.ts): a read costs
 * SQLite's per-row step once per sketch however many bins the sketch holds.
 */
export const READ_SKETCHES = `SELECT group_key, metric, sketch FROM group_sketches WHERE group_key IN ${KEYS_PARAM}`;

/** Sums of a usage series: integer columns by sum(), REAL ones by total() (a double, never an overflow error). */
export const SERIES_SUMS = ROLLUP_ADDITIVE_COLUMNS.map((column, i) => `${/_tokens|_micros|_ms$/.test(column) ? "total" : "sum"}(${column}) AS s${i}`).join(
  ", ",
);

/**
 * The costliest events of a range: the inner query walks only the index (instance_id,
 * occurred_at, cost_usd_micros), covering, and keeps the top rows by rowid; only those rows'
 * payloads are read.
 */
export function topEventsSql(allInstances: boolean): string {
  const instances = allInstances ? "instance_id IN (SELECT id FROM instances)" : "instance_id = ?";
  return `
  SELECT e.instance_id, e.payload FROM events e JOIN (
    SELECT rowid AS id FROM events INDEXED BY events_instance_occurred
    WHERE ${instances} AND occurred_at >= ? AND occurred_at < ?
    ORDER BY cost_usd_micros DESC, occurred_at DESC LIMIT ?
  ) AS top ON e.rowid = top.id
  ORDER BY e.cost_usd_micros DESC, e.occurred_at DESC`;
}
