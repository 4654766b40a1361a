import { DAY_MS, HOUR_MS, RATIO_BUCKETS, RATIO_BUCKET_EDGES, type UsageSums } from "../aggregation/usage-rules.js";

/**
 * The `usage_rollups` table as both engines lay it out: its key, its additive columns, the
 * upsert's update clause and the migrations' backfill. The per-event rules it is built from (hour,
 * estimate, histogram edges) are aggregation's (aggregation/usage-rules.ts).
 */

// The routes read the series' bucket sizes next to the dimensions they may group by.
export { DAY_MS, HOUR_MS };

/** The dimensions a rollup row is keyed by (besides instance and hour), in key order. */
export const ROLLUP_DIMENSIONS = ["provider", "model", "task_type", "complexity", "harness", "outcome"] as const;
export type RollupDimension = (typeof ROLLUP_DIMENSIONS)[number];

/**
 * The bucket as a SQL expression over two double-precision expressions (actual and estimated
 * tokens): the same comparisons as ratioBucket, for the migrations' backfill.
 */
export function ratioBucketSql(actual: string, estimated: string): string {
  return RATIO_BUCKET_EDGES.map(([num, den]) => `(CASE WHEN ${actual} * ${den}.0 >= ${estimated} * ${num}.0 THEN 1 ELSE 0 END)`).join(" + ");
}

/** Column names of the histogram's counts: ratio_0 … ratio_8. */
export const RATIO_COLUMNS: readonly string[] = Array.from({ length: RATIO_BUCKETS }, (_, i) => `ratio_${i}`);

/** The sums' columns of `usage_rollups` after its key, in table order, with the field each holds. */
export const ROLLUP_SUM_COLUMNS: readonly (readonly [column: string, field: Exclude<keyof UsageSums, "ratioBuckets">])[] = [
  ["events", "events"],
  ["input_tokens", "inputTokens"],
  ["output_tokens", "outputTokens"],
  ["cost_usd_micros", "costUsdMicros"],
  ["duration_ms", "durationMs"],
  ["gate_passed", "gatePassed"],
  ["successes", "successes"],
  ["estimated_events", "estimatedEvents"],
  ["estimated_input_tokens", "estimatedInputTokens"],
  ["estimated_output_tokens", "estimatedOutputTokens"],
  ["estimated_cost_usd_micros", "estimatedCostUsdMicros"],
  ["estimated_actual_input_tokens", "estimatedActualInputTokens"],
  ["estimated_actual_output_tokens", "estimatedActualOutputTokens"],
  ["estimated_actual_cost_usd_micros", "estimatedActualCostUsdMicros"],
];

/** Every additive column: the sums, then the histogram. */
export const ROLLUP_ADDITIVE_COLUMNS: readonly string[] = [...ROLLUP_SUM_COLUMNS.map(([column]) => column), ...RATIO_COLUMNS];

/** The key columns, in key order. */
export const ROLLUP_KEY_COLUMNS: readonly string[] = ["instance_id", "hour", ...ROLLUP_DIMENSIONS];

/**
 * `usage_rollups_all`: the same sums without the instance, kept at ingest beside the per-instance
 * rows, so the all-instances series reads one row per (hour, dimensions) however many instances
 * send. Its key, in key order (a range of hours is a range of the key).
 */
export const ALL_INSTANCES_KEY_COLUMNS: readonly string[] = ["hour", ...ROLLUP_DIMENSIONS];

/** An upsert's update clause into `table`, the same text on both engines: every additive column adds. */
function addClause(table: string): string {
  return ROLLUP_ADDITIVE_COLUMNS.map((column) => `${column} = ${table}.${column} + excluded.${column}`).join(",\n    ");
}

export const ROLLUP_ADD_CLAUSE = addClause("usage_rollups");
export const ALL_INSTANCES_ADD_CLAUSE = addClause("usage_rollups_all");

/**
 * The forward migration's fill of `usage_rollups_all` from the stored `usage_rollups`: each
 * (hour, dimensions)' rows summed across instances, as the ingest's upserts would have summed them.
 */
export const ALL_INSTANCES_BACKFILL_SQL = `INSERT INTO usage_rollups_all (${[...ALL_INSTANCES_KEY_COLUMNS, ...ROLLUP_ADDITIVE_COLUMNS].join(", ")})
SELECT ${ALL_INSTANCES_KEY_COLUMNS.join(", ")}, ${ROLLUP_ADDITIVE_COLUMNS.map((column) => `sum(${column})`).join(", ")}
FROM usage_rollups
GROUP BY ${ALL_INSTANCES_KEY_COLUMNS.join(", ")}`;

/** A row's additive values in ROLLUP_ADDITIVE_COLUMNS order. */
export function additiveValues(sums: UsageSums): number[] {
  return [...ROLLUP_SUM_COLUMNS.map(([, field]) => sums[field]), ...sums.ratioBuckets];
}

/** Sums read back as columns (in ROLLUP_ADDITIVE_COLUMNS order, any numeric type) into UsageSums. */
export function sumsOfValues(values: readonly unknown[]): UsageSums {
  const sums = { ratioBuckets: values.slice(ROLLUP_SUM_COLUMNS.length).map(Number) } as UsageSums;
  ROLLUP_SUM_COLUMNS.forEach(([, field], i) => {
    sums[field] = Number(values[i]);
  });
  return sums;
}

/**
 * The migrations' backfill: `usage_rollups` built from the stored events in one INSERT … SELECT.
 * `fields` are the engine's SQL for each event value read from the stored payload (numbers as
 * doubles, `gate` and `estimated` as 0/1 integers) over `source`, a subquery of events;
 * `hour` the UTC hour of the event's timestamp in the key's type.
 */
export function rollupBackfillSql(source: string): string {
  const bucket = ratioBucketSql("(ai + ao)", "(ei + eo)");
  const sums = [
    "count(*)",
    "sum(ai)",
    "sum(ao)",
    "sum(ac)",
    "sum(dur)",
    "sum(gate)",
    "sum(CASE WHEN outcome = 'success' THEN 1 ELSE 0 END)",
    "sum(est)",
    "sum(est * ei)",
    "sum(est * eo)",
    "sum(est * ec)",
    "sum(est * ai)",
    "sum(est * ao)",
    "sum(est * ac)",
    ...RATIO_COLUMNS.map((_, i) => `sum(CASE WHEN est = 1 AND ratio_bucket = ${i} THEN 1 ELSE 0 END)`),
  ];
  // MATERIALIZED: a flattened subquery would evaluate each of its column expressions (a JSON read
  // of the payload) at every reference, and the bucket's refers to four of them eight times, read
  // nine times over: 100 k events took 27 s to fold so on SQLite.
  return `WITH f AS MATERIALIZED (${source}),
r AS MATERIALIZED (SELECT f.*, ${bucket} AS ratio_bucket FROM f)
INSERT INTO usage_rollups (${[...ROLLUP_KEY_COLUMNS, ...ROLLUP_ADDITIVE_COLUMNS].join(", ")})
SELECT ${ROLLUP_KEY_COLUMNS.join(", ")}, ${sums.join(", ")}
FROM r
GROUP BY ${ROLLUP_KEY_COLUMNS.join(", ")}`;
}
