import { compareKeys } from "../aggregation/compare-keys.js";
import { RATIO_BUCKETS, RATIO_BUCKET_EDGES, emptyUsageSums, type UsageSums } from "../aggregation/usage-rules.js";
import type { StoredEvent, UsageSeriesRow } from "../storage/storage.js";
import type { RatioBucketBounds, TopEvent, UsageFigures, UsageSeriesPoint } from "@mosaicstack/telemetry-protocol";

/**
 * Turns rollup sums into the usage API's answers: series in order, the range's totals (the sum
 * of its series, so they always agree), and the figures the dashboard shows (rates, cost per
 * successful task, correction factors), each null where its denominator is zero.
 */

/** The histogram's buckets, from RATIO_BUCKET_EDGES. */
export const RATIO_BUCKET_BOUNDS: readonly RatioBucketBounds[] = Array.from({ length: RATIO_BUCKETS }, (_, i) => {
  const lower = RATIO_BUCKET_EDGES[i - 1];
  const upper = RATIO_BUCKET_EDGES[i];
  return { from: lower ? lower[0] / lower[1] : null, to: upper ? upper[0] / upper[1] : null };
});

const ratio = (part: number, whole: number): number | null => (whole > 0 ? part / whole : null);


/** Adds `sums` into `total` (mutates `total`). */
export function addSums(total: UsageSums, sums: UsageSums): void {
  for (const field of Object.keys(total) as (keyof UsageSums)[]) {
    if (field === "ratioBuckets") sums.ratioBuckets.forEach((count, i) => (total.ratioBuckets[i] = (total.ratioBuckets[i] ?? 0) + count));
    else total[field] += sums[field];
  }
}

export function figuresOf(sums: UsageSums): UsageFigures {
  return {
    events: sums.events,
    input_tokens: sums.inputTokens,
    output_tokens: sums.outputTokens,
    cost_usd_micros: sums.costUsdMicros,
    duration_ms: sums.durationMs,
    gate_passed: sums.gatePassed,
    successes: sums.successes,
    success_rate: ratio(sums.successes, sums.events),
    gate_pass_rate: ratio(sums.gatePassed, sums.events),
    cost_per_success_usd_micros: ratio(sums.costUsdMicros, sums.successes),
    estimates: {
      events: sums.estimatedEvents,
      without_estimate: sums.events - sums.estimatedEvents,
      estimated_input_tokens: sums.estimatedInputTokens,
      estimated_output_tokens: sums.estimatedOutputTokens,
      estimated_cost_usd_micros: sums.estimatedCostUsdMicros,
      actual_input_tokens: sums.estimatedActualInputTokens,
      actual_output_tokens: sums.estimatedActualOutputTokens,
      actual_cost_usd_micros: sums.estimatedActualCostUsdMicros,
      correction_factors: {
        input: ratio(sums.estimatedActualInputTokens, sums.estimatedInputTokens),
        output: ratio(sums.estimatedActualOutputTokens, sums.estimatedOutputTokens),
        cost: ratio(sums.estimatedActualCostUsdMicros, sums.estimatedCostUsdMicros),
      },
      ratio_histogram: [...sums.ratioBuckets],
    },
  };
}

/** Series points in time order, then by group; and the range's totals. */
export function seriesReport(rows: readonly UsageSeriesRow[]): { series: UsageSeriesPoint[]; totals: UsageFigures } {
  const sorted = [...rows].sort((a, b) => a.bucketStart.getTime() - b.bucketStart.getTime() || compareKeys(a.group ?? "", b.group ?? ""));
  const totals = emptyUsageSums();
  const series = sorted.map((row) => {
    addSums(totals, row);
    return { start: row.bucketStart.toISOString(), group: row.group, ...figuresOf(row) };
  });
  return { series, totals: figuresOf(totals) };
}

const TOP_FIELDS = [
  "event_id",
  "timestamp",
  "provider",
  "model",
  "task_type",
  "complexity",
  "harness",
  "outcome",
  "actual_cost_usd_micros",
  "estimated_cost_usd_micros",
  "actual_input_tokens",
  "actual_output_tokens",
  "estimated_input_tokens",
  "estimated_output_tokens",
  "task_duration_ms",
  "quality_gate_passed",
] as const;

/** A stored event as a costliest-tasks row: its dimensions and figures, nothing else of it. */
export function topEventOf({ instanceId, event }: StoredEvent): TopEvent {
  const row: Record<string, unknown> = { instance_id: instanceId };
  for (const field of TOP_FIELDS) row[field] = event[field];
  return row as unknown as TopEvent;
}
