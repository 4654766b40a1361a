import type { TaskCompletionEvent } from "@mosaicstack/telemetry-protocol";
import type { UsageSums } from "./storage.js";

/**
 * The usage rollup's rules, in one place: which hour an event counts in, whether it has an
 * estimate, and which correction-factor bucket it falls in. The fold (batch-fold.ts) applies them
 * at ingest; the migrations that build rollups for events stored before them use the SQL forms
 * below, generated from the same constants, so a backfilled row equals an ingested one.
 */

/** The dimensions a rollup row is keyed by (besides instance and hour), in key order. */
export const ROLLUP_DIMENSIONS = ["provider", "model", "task_type", "complexity", "harness", "outcome"] as const;
export type RollupDimension = (typeof ROLLUP_DIMENSIONS)[number];

/**
 * The model as a rollup row keeps it: U+0000 becomes U+FFFD. The validator refuses control
 * characters in `model`, but builds before it accepted them, and PostgreSQL refuses a NUL in a
 * text column (the events' payload is json, group keys are JSON arrays, so neither meets it raw).
 */
export function rollupModel(model: string): string {
  return model.includes("\u0000") ? model.replaceAll("\u0000", "\uFFFD") : model;
}

export const HOUR_MS = 3_600_000;
export const DAY_MS = 86_400_000;

/** The start of the UTC hour the event's own `timestamp` lies in, in epoch ms. */
export function hourOf(timestamp: string): number {
  const ms = Date.parse(timestamp);
  return ms - (((ms % HOUR_MS) + HOUR_MS) % HOUR_MS);
}

/**
 * The contract (api-v1.md): an estimate of 0 means "no estimate". An event has an estimate when
 * it estimated any tokens; only such events enter the correction factors and their histogram.
 */
export function hasEstimate(event: TaskCompletionEvent): boolean {
  return event.estimated_input_tokens + event.estimated_output_tokens > 0;
}

/**
 * Edges of the correction-factor histogram, as fractions [num, den]: a factor (actual ÷ estimated
 * tokens, input and output together) at or above num/den lies past that edge. Nine buckets,
 * symmetric in log space around an "on target" bucket [0.9, 10/9): < 1/4, < 1/2, < 2/3, < 0.9,
 * on target, < 1.5, < 2, < 4, >= 4. Fractions of small integers, compared as `actual * den >=
 * estimated * num` in doubles: the same IEEE products in JS, SQLite and PostgreSQL, so ingest and
 * the migration's SQL put every event in the same bucket (a logarithm could differ at an edge).
 */
export const RATIO_BUCKET_EDGES: readonly (readonly [num: number, den: number])[] = [
  [1, 4],
  [1, 2],
  [2, 3],
  [9, 10],
  [10, 9],
  [3, 2],
  [2, 1],
  [4, 1],
];
export const RATIO_BUCKETS = RATIO_BUCKET_EDGES.length + 1;

/** The histogram bucket (0 to 8) of an event with an estimate. */
export function ratioBucket(event: TaskCompletionEvent): number {
  const actual = event.actual_input_tokens + event.actual_output_tokens;
  const estimated = event.estimated_input_tokens + event.estimated_output_tokens;
  let bucket = 0;
  for (const [num, den] of RATIO_BUCKET_EDGES) if (actual * den >= estimated * num) bucket += 1;
  return bucket;
}

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

/** The upsert's update clause, the same text on both engines: every additive column adds. */
export const ROLLUP_ADD_CLAUSE = ROLLUP_ADDITIVE_COLUMNS.map((column) => `${column} = usage_rollups.${column} + excluded.${column}`).join(",\n    ");

/** Sums of no events: where a rollup row (in the fold) and a total (in a report) start. */
export function emptyUsageSums(): UsageSums {
  return {
    events: 0,
    inputTokens: 0,
    outputTokens: 0,
    costUsdMicros: 0,
    durationMs: 0,
    gatePassed: 0,
    successes: 0,
    estimatedEvents: 0,
    estimatedInputTokens: 0,
    estimatedOutputTokens: 0,
    estimatedCostUsdMicros: 0,
    estimatedActualInputTokens: 0,
    estimatedActualOutputTokens: 0,
    estimatedActualCostUsdMicros: 0,
    ratioBuckets: new Array<number>(RATIO_BUCKETS).fill(0),
  };
}

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
