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

/** Adds (group, instance) aggregate changes: sums add, the receive time keeps the later. */
export const UPSERT_INSTANCE_AGGREGATES = `
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

/** Adds sketch bin counts of (group, instance) aggregates: one row per (group, instance, metric, bin). */
export const UPSERT_INSTANCE_BINS = `
  INSERT INTO instance_bins (group_key, instance_id, metric, bin, count)
  SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::integer[], $5::bigint[]) AS b (group_key, instance_id, metric, bin, count)
  ORDER BY b.group_key, b.instance_id, b.metric, b.bin
  ON CONFLICT (group_key, instance_id, metric, bin) DO UPDATE SET count = instance_bins.count + excluded.count`;

/** An aggregate row with its bins as one JSON array of [metric, bin, count]: one statement, one snapshot. */
const AGGREGATE_WITH_BINS = `SELECT a.*, (SELECT json_agg(json_build_array(b.metric, b.bin, b.count)) FROM instance_bins b
    WHERE b.group_key = a.group_key AND b.instance_id = a.instance_id) AS bins FROM instance_aggregates a`;

export const READ_INSTANCE_AGGREGATES = `${AGGREGATE_WITH_BINS} WHERE a.group_key = ANY ($1::text[])`;

export const READ_OWN_AGGREGATES = `${AGGREGATE_WITH_BINS} WHERE a.group_key = ANY ($1::text[]) AND a.instance_id = $2`;

/** A page of every aggregate in key order (keyset on the primary key), for a refresh of every group. */
export function readAggregatePageSql(continued: boolean, limit: number): string {
  return `${AGGREGATE_WITH_BINS} ${continued ? "WHERE (a.group_key, a.instance_id) > ($1, $2)" : ""} ORDER BY a.group_key, a.instance_id LIMIT ${limit}`;
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
