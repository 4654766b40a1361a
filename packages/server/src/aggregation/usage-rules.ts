import type { TaskCompletionEvent } from "@mosaicstack/telemetry-protocol";

/**
 * The usage rollup's rules, in one place: which hour an event counts in, whether it has an
 * estimate, and which correction-factor bucket it falls in. The fold (rollup-fold.ts) applies
 * them at ingest; the migrations that build rollups for events stored before them use the SQL
 * forms in storage/usage-rollup.ts, generated from the same constants, so a backfilled row equals
 * an ingested one.
 */

/**
 * Additive usage sums of some events (a rollup row, or rows summed). Sums are of actual values;
 * the `estimated*` fields cover only the events with an estimate (hasEstimate).
 */
export interface UsageSums {
  events: number;
  inputTokens: number;
  outputTokens: number;
  costUsdMicros: number;
  durationMs: number;
  /** Events with quality_gate_passed. */
  gatePassed: number;
  /** Events with outcome "success". */
  successes: number;
  /** Events with an estimate; the seven fields below sum over these only. */
  estimatedEvents: number;
  estimatedInputTokens: number;
  estimatedOutputTokens: number;
  estimatedCostUsdMicros: number;
  estimatedActualInputTokens: number;
  estimatedActualOutputTokens: number;
  estimatedActualCostUsdMicros: number;
  /** Events with an estimate per correction-factor bucket (RATIO_BUCKET_EDGES). */
  ratioBuckets: number[];
}

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
 * The contract (docs/api.md): an estimate of 0 means "no estimate". An event has an estimate when
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
