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

const GROUP_COLUMNS = `group_key, level, parent_key, events, contributors, sum_estimated_input_tokens,
  sum_actual_input_tokens, sum_estimated_output_tokens, sum_actual_output_tokens, gate_passed, successes, last_updated`;

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

// xmax = 0 on a row this statement inserted; an ON CONFLICT update sets it to our transaction id.
// So "inserted" is exactly "first event of this instance in this group", even when another
// process inserted the pair a moment ago (we waited for its commit and updated instead).
export const UPSERT_GROUP_INSTANCES = `
  INSERT INTO group_instances (group_key, instance_id, events)
  SELECT g.group_key, g.instance_id, g.events FROM unnest($1::text[], $2::text[], $3::bigint[]) AS g (group_key, instance_id, events)
  ORDER BY g.group_key, g.instance_id
  ON CONFLICT (group_key, instance_id) DO UPDATE SET events = group_instances.events + excluded.events
  RETURNING group_key, (xmax = 0) AS inserted`;

export const UPSERT_GROUPS = `
  INSERT INTO aggregate_groups (${GROUP_COLUMNS})
  SELECT g.* FROM unnest($1::text[], $2::smallint[], $3::text[], $4::bigint[], $5::bigint[],
    $6::float8[], $7::float8[], $8::float8[], $9::float8[], $10::bigint[], $11::bigint[], $12::timestamptz[])
    AS g (group_key, level, parent_key, events, contributors, s1, s2, s3, s4, gate_passed, successes, last_updated)
  ORDER BY g.group_key
  ON CONFLICT (group_key) DO UPDATE SET
    events = aggregate_groups.events + excluded.events,
    contributors = aggregate_groups.contributors + excluded.contributors,
    sum_estimated_input_tokens = aggregate_groups.sum_estimated_input_tokens + excluded.sum_estimated_input_tokens,
    sum_actual_input_tokens = aggregate_groups.sum_actual_input_tokens + excluded.sum_actual_input_tokens,
    sum_estimated_output_tokens = aggregate_groups.sum_estimated_output_tokens + excluded.sum_estimated_output_tokens,
    sum_actual_output_tokens = aggregate_groups.sum_actual_output_tokens + excluded.sum_actual_output_tokens,
    gate_passed = aggregate_groups.gate_passed + excluded.gate_passed,
    successes = aggregate_groups.successes + excluded.successes,
    last_updated = GREATEST(aggregate_groups.last_updated, excluded.last_updated)`;

export const UPSERT_BINS = `
  INSERT INTO group_bins (group_key, metric, bin, count)
  SELECT * FROM unnest($1::text[], $2::text[], $3::integer[], $4::bigint[]) AS b (group_key, metric, bin, count)
  ORDER BY b.group_key, b.metric, b.bin
  ON CONFLICT (group_key, metric, bin) DO UPDATE SET count = group_bins.count + excluded.count`;

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

// One statement, so the summary and its bins come from one snapshot (bins sum to events).
export const READ_GROUPS = `
  SELECT g.*, (SELECT json_agg(json_build_array(b.metric, b.bin, b.count))
               FROM group_bins b WHERE b.group_key = g.group_key) AS bins
  FROM aggregate_groups g WHERE g.group_key = ANY ($1::text[])`;

/**
 * The bin of each asked quantile: a running count over each (group, metric)'s bins in ascending
 * order, kept where it first passes the rank floor(q * (n - 1)): aggregation/quantile-rank.ts's
 * rule, written in SQL so that only the answering bins leave the database. q is float8 and n - 1 is cast to
 * float8, so the product is the same double as in JS (a numeric product could round otherwise).
 */
export const READ_QUANTILE_BINS = `
  WITH wanted AS (SELECT position - 1 AS position, q FROM unnest($2::float8[]) WITH ORDINALITY AS w(q, position)),
  running AS (
    SELECT group_key, metric, bin, count,
      (SUM(count) OVER (PARTITION BY group_key, metric ORDER BY bin ROWS UNBOUNDED PRECEDING))::bigint AS through,
      (SUM(count) OVER (PARTITION BY group_key, metric))::bigint AS total
    FROM group_bins WHERE group_key = ANY ($1::text[]) AND count > 0
  ),
  ranked AS (SELECT r.*, w.position, floor(w.q * (r.total - 1)::float8)::bigint AS rank FROM running r CROSS JOIN wanted w)
  SELECT group_key, metric, position, bin FROM ranked WHERE through - count <= rank AND through > rank`;

