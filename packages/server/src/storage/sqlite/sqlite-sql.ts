import { SKETCH_METRICS } from "../../aggregation/sketch-metrics.js";
import { ALL_INSTANCES_ADD_CLAUSE, ALL_INSTANCES_KEY_COLUMNS, ROLLUP_ADDITIVE_COLUMNS, ROLLUP_ADD_CLAUSE, ROLLUP_KEY_COLUMNS } from "../usage-rollup.js";

/** The SQLite engine's statements, each prepared once per connection (sqlite-connection.ts). */

/** A list of keys as one JSON parameter, expanded by json_each: one cached statement for any length. */
export const KEYS_PARAM = "(SELECT value FROM json_each(?))";

export const INSERT_EVENT =
  "INSERT INTO events (instance_id, event_id, received_at, timestamp, payload, occurred_at, cost_usd_micros) VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING";

/** The sketch columns of instance_aggregates, in SKETCH_METRICS order: one sparse BLOB each (sparse-sketch.ts). */
export const SKETCH_COLUMNS: readonly string[] = SKETCH_METRICS.map((metric) => `${metric}_sketch`);

const AGGREGATE_SUMS = [
  "events",
  "sum_estimated_input_tokens",
  "sum_actual_input_tokens",
  "sum_estimated_output_tokens",
  "sum_actual_output_tokens",
  "gate_passed",
  "successes",
];

/**
 * Adds one (group, instance) aggregate change: sums add, the receive time keeps the later, each
 * sketch merges by sketch_add (sketch-functions.ts) under the write lock, with no read first.
 */
export const UPSERT_INSTANCE_AGGREGATE = `
  INSERT INTO instance_aggregates (group_key, instance_id, ${AGGREGATE_SUMS.join(", ")}, last_updated, ${SKETCH_COLUMNS.join(", ")})
  VALUES (${Array.from({ length: 3 + AGGREGATE_SUMS.length + SKETCH_COLUMNS.length }, () => "?").join(", ")})
  ON CONFLICT (group_key, instance_id) DO UPDATE SET
    ${AGGREGATE_SUMS.map((column) => `${column} = instance_aggregates.${column} + excluded.${column}`).join(",\n    ")},
    last_updated = MAX(instance_aggregates.last_updated, excluded.last_updated),
    ${SKETCH_COLUMNS.map((column) => `${column} = sketch_add(instance_aggregates.${column}, excluded.${column})`).join(",\n    ")}`;

/**
 * The aggregate rows' columns as the reads take them (sqlite-rows.ts AggregateValues): the four
 * sketches as one BLOB with the ends of the first three. One BLOB, not four, because the driver
 * makes a Buffer of every BLOB it returns, and four Buffers per row were half the cost of reading
 * every aggregate (docs/benchmarks/server-predictions.md). `||` joins the bytes as they are (a
 * UTF-8 database converts nothing) and the CAST makes the result a BLOB again.
 */
export const AGGREGATE_COLUMNS = `group_key, instance_id, ${AGGREGATE_SUMS.join(", ")}, last_updated, ${SKETCH_COLUMNS.slice(0, -1)
  .map((_, i) => SKETCH_COLUMNS.slice(0, i + 1).map((column) => `length(${column})`).join(" + "))
  .join(", ")}, CAST(${SKETCH_COLUMNS.join(" || ")} AS BLOB)`;

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

/** Sums of a usage series: integer columns by sum(), REAL ones by total() (a double, never an overflow error). */
export const SERIES_SUMS = ROLLUP_ADDITIVE_COLUMNS.map((column, i) => `${/_tokens|_micros|_ms$/.test(column) ? "total" : "sum"}(${column}) AS s${i}`).join(
  ", ",
);

/**
 * The costliest events of a range: the inner query walks only the index (instance_id,
 * occurred_at, cost_usd_micros), covering, and keeps the top rows by rowid; only those rows'
 * payloads are read, with the columns a compact payload leaves out (compact-event.ts).
 */
export function topEventsSql(allInstances: boolean): string {
  const instances = allInstances ? "instance_id IN (SELECT id FROM instances)" : "instance_id = ?";
  return `
  SELECT e.instance_id, e.event_id, e.timestamp, e.payload FROM events e JOIN (
    SELECT rowid AS id FROM events INDEXED BY events_instance_occurred
    WHERE ${instances} AND occurred_at >= ? AND occurred_at < ?
    ORDER BY cost_usd_micros DESC, occurred_at DESC LIMIT ?
  ) AS top ON e.rowid = top.id
  ORDER BY e.cost_usd_micros DESC, e.occurred_at DESC`;
}
