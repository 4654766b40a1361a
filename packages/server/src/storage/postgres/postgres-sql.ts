import { SKETCH_METRICS } from "../../aggregation/sketch-metrics.js";
import {
  ALL_INSTANCES_ADD_CLAUSE,
  ALL_INSTANCES_KEY_COLUMNS,
  RATIO_COLUMNS,
  ROLLUP_ADDITIVE_COLUMNS,
  ROLLUP_ADD_CLAUSE,
  ROLLUP_KEY_COLUMNS,
  ROLLUP_SUM_COLUMNS,
} from "../usage-rollup.js";

/** The PostgreSQL engine's statements: each writes any number of rows through unnest'ed arrays. */

/**
 * Every statement that takes row locks inserts its rows ORDER BY key: concurrent transactions
 * then lock the rows they share in the same order, table by table, and cannot deadlock.
 */
export const INSERT_EVENTS = `
  INSERT INTO events (instance_id, event_id, received_at, "timestamp", payload, cost_usd_micros)
  SELECT e.instance_id, e.event_id, e.received_at, e.ts::timestamptz, e.payload::json, e.cost
  FROM unnest($1::text[], $2::text[], $3::timestamptz[], $4::text[], $5::text[], $6::bigint[]) AS e (instance_id, event_id, received_at, ts, payload, cost)
  ORDER BY e.instance_id, e.event_id
  ON CONFLICT (instance_id, event_id) DO NOTHING
  RETURNING instance_id, event_id`;

/** The sketch columns of instance_aggregates (migration 8), in SKETCH_METRICS order: one bytea each (sketch-bytes.ts). */
export const SKETCH_COLUMNS: readonly string[] = SKETCH_METRICS.map((metric) => `${metric}_sketch`);

/** The sums' part of an aggregate upsert (also migration 6's, before the sketches were in the row). */
export const AGGREGATE_SUMS_UPSERT = `
  INSERT INTO instance_aggregates (group_key, instance_id, events, sum_estimated_input_tokens, sum_actual_input_tokens,
    sum_estimated_output_tokens, sum_actual_output_tokens, gate_passed, successes, last_updated)
  SELECT a.* FROM unnest($1::text[], $2::text[], $3::bigint[], $4::float8[], $5::float8[], $6::float8[], $7::float8[],
    $8::bigint[], $9::bigint[], $10::timestamptz[])
    AS a (group_key, instance_id, events, s1, s2, s3, s4, gate_passed, successes, last_updated)
  ORDER BY a.group_key, a.instance_id
  ON CONFLICT (group_key, instance_id) DO UPDATE SET
    events = instance_aggregates.events + excluded.events,
    sum_estimated_input_tokens = instance_aggregates.sum_estimated_input_tokens + excluded.sum_estimated_input_tokens,
    sum_actual_input_tokens = instance_aggregates.sum_actual_input_tokens + excluded.sum_actual_input_tokens,
    sum_estimated_output_tokens = instance_aggregates.sum_estimated_output_tokens + excluded.sum_estimated_output_tokens,
    sum_actual_output_tokens = instance_aggregates.sum_actual_output_tokens + excluded.sum_actual_output_tokens,
    gate_passed = instance_aggregates.gate_passed + excluded.gate_passed,
    successes = instance_aggregates.successes + excluded.successes,
    last_updated = GREATEST(instance_aggregates.last_updated, excluded.last_updated)`;

/**
 * Adds (group, instance) aggregate changes' sums and answers each row's sketches as they stand:
 * the upsert locks every row it touches (in key order) until the transaction ends, so the
 * sketches it returns are the latest committed ones and stay so until SET_INSTANCE_SKETCHES
 * writes the merged ones (postgres-ingest.ts).
 */
export const UPSERT_INSTANCE_AGGREGATES = `${AGGREGATE_SUMS_UPSERT}
  RETURNING group_key, instance_id, ${SKETCH_COLUMNS.join(", ")}`;

/** Sets the merged sketches of rows this transaction has locked. */
export const SET_INSTANCE_SKETCHES = `
  UPDATE instance_aggregates AS a SET
    ${SKETCH_COLUMNS.map((column, m) => `${column} = u.s${m}`).join(",\n    ")}
  FROM unnest($1::text[], $2::text[], ${SKETCH_COLUMNS.map((_, m) => `$${3 + m}::bytea[]`).join(", ")})
    AS u (group_key, instance_id, ${SKETCH_COLUMNS.map((_, m) => `s${m}`).join(", ")})
  WHERE a.group_key = u.group_key AND a.instance_id = u.instance_id`;

/** Aggregate rows with their sketches: one statement, one snapshot. */
const AGGREGATE_ROWS = "SELECT a.* FROM instance_aggregates a";

export const READ_INSTANCE_AGGREGATES = `${AGGREGATE_ROWS} WHERE a.group_key = ANY ($1::text[])`;

export const READ_OWN_AGGREGATES = `${AGGREGATE_ROWS} WHERE a.group_key = ANY ($1::text[]) AND a.instance_id = $2`;

/** A page of every aggregate in key order (keyset on the primary key), for a refresh of every group. */
export function readAggregatePageSql(continued: boolean, limit: number): string {
  return `${AGGREGATE_ROWS} ${continued ? "WHERE (a.group_key, a.instance_id) > ($1, $2)" : ""} ORDER BY a.group_key, a.instance_id LIMIT ${limit}`;
}

export const UPSERT_USAGE = `
  INSERT INTO instance_usage (instance_id, events, first_event_at, last_event_at)
  SELECT * FROM unnest($1::text[], $2::bigint[], $3::timestamptz[], $4::timestamptz[]) AS u (instance_id, events, first_at, last_at)
  ORDER BY u.instance_id
  ON CONFLICT (instance_id) DO UPDATE SET
    events = instance_usage.events + excluded.events,
    first_event_at = LEAST(instance_usage.first_event_at, excluded.first_event_at),
    last_event_at = GREATEST(instance_usage.last_event_at, excluded.last_event_at)`;

/** Doubles for the sums, bigint for the counts: the column types of usage_rollups. */
const ROLLUP_ARRAY_TYPES = [
  ...ROLLUP_SUM_COLUMNS.map(([column]) => (/_tokens|_micros|_ms$/.test(column) ? "float8" : "bigint")),
  ...RATIO_COLUMNS.map(() => "bigint"),
];

/** The rollup upsert: every touched (instance, hour, dimensions) row of the transaction, in key order. */
export const UPSERT_ROLLUPS = `
  INSERT INTO usage_rollups (${[...ROLLUP_KEY_COLUMNS, ...ROLLUP_ADDITIVE_COLUMNS].join(", ")})
  SELECT r.* FROM unnest($1::text[], $2::timestamptz[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[],
    ${ROLLUP_ARRAY_TYPES.map((type, i) => `$${i + 9}::${type}[]`).join(", ")})
    AS r (${[...ROLLUP_KEY_COLUMNS, ...ROLLUP_ADDITIVE_COLUMNS].join(", ")})
  ORDER BY ${ROLLUP_KEY_COLUMNS.map((column) => `r.${column}`).join(", ")}
  ON CONFLICT (${ROLLUP_KEY_COLUMNS.join(", ")}) DO UPDATE SET
    ${ROLLUP_ADD_CLAUSE}`;

/**
 * The all-instances rollup upsert: every touched (hour, dimensions) row, in key order. These rows
 * are shared by every instance's transactions: the order is what keeps two of them from waiting
 * on each other's locks in a cycle.
 */
export const UPSERT_ALL_INSTANCES_ROLLUPS = `
  INSERT INTO usage_rollups_all (${[...ALL_INSTANCES_KEY_COLUMNS, ...ROLLUP_ADDITIVE_COLUMNS].join(", ")})
  SELECT r.* FROM unnest($1::timestamptz[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[],
    ${ROLLUP_ARRAY_TYPES.map((type, i) => `$${i + 8}::${type}[]`).join(", ")})
    AS r (${[...ALL_INSTANCES_KEY_COLUMNS, ...ROLLUP_ADDITIVE_COLUMNS].join(", ")})
  ORDER BY ${ALL_INSTANCES_KEY_COLUMNS.map((column) => `r.${column}`).join(", ")}
  ON CONFLICT (${ALL_INSTANCES_KEY_COLUMNS.join(", ")}) DO UPDATE SET
    ${ALL_INSTANCES_ADD_CLAUSE}`;

/** A usage series' sums; sum(bigint) is numeric, read back as a number. */
export const SERIES_SUMS = ROLLUP_ADDITIVE_COLUMNS.map((column, i) => `sum(${column}) AS s${i}`).join(", ");
