import { randomUUID } from "node:crypto";
import type { TaskCompletionEvent } from "@mosaicstack/telemetry-protocol";
import { RATIO_BUCKET_EDGES } from "../../src/aggregation/usage-rules.js";
import type { RollupDimension } from "../../src/storage/usage-rollup.js";
import { seededRandom } from "../predictions/seeded-random.js";
import { makeEvent } from "../storage/storage-fixtures.js";

/** The first hour of the test data: 2026-11-01T00:00Z. */
export const START_MS = Date.parse("2026-11-01T00:00:00Z");
const HOUR = 3_600_000;

const MODELS = ["claude-sonnet-4-5", "gpt-5", "gemini-2.5-pro"];
const PROVIDERS = { "claude-sonnet-4-5": "anthropic", "gpt-5": "openai", "gemini-2.5-pro": "google" } as const;
const TASK_TYPES = ["implementation", "debugging", "testing"] as const;
const HARNESSES = ["claude_code", "codex", "aider"] as const;
const OUTCOMES = ["success", "failure", "partial"] as const;

/** A timestamp in one of the spellings the validator accepts, at `ms`. */
function spelled(ms: number, style: number): string {
  const iso = new Date(ms).toISOString(); // …T12:34:56.789Z
  if (style === 0) return iso;
  if (style === 1) return `${iso.slice(0, 23)}+00:00`;
  return `${iso.slice(0, 23)}456789Z`; // nine fraction digits
}

/**
 * `count` varied events of `instanceId` over `spanHours` hours from START_MS: three models, task
 * types, harnesses and outcomes, a fifth without an estimate, some exactly on hour boundaries and
 * some in an hour's last millisecond, timestamps in each accepted spelling. Deterministic per seed.
 */
export function usageEvents(instanceId: string, count: number, seed: number, spanHours = 72): TaskCompletionEvent[] {
  const random = seededRandom(seed);
  const pick = <T>(list: readonly T[]): T => list[Math.floor(random() * list.length)] as T;
  return Array.from({ length: count }, (_, i) => {
    const hour = START_MS + Math.floor(random() * spanHours) * HOUR;
    const edge = i % 7;
    const ms = edge === 0 ? hour : edge === 1 ? hour + HOUR - 1 : hour + Math.floor(random() * HOUR);
    const model = pick(MODELS) as keyof typeof PROVIDERS;
    const estimated = i % 5 !== 0;
    const actualIn = 1 + Math.floor(random() * 400_000);
    const actualOut = Math.floor(random() * 90_000);
    return makeEvent(instanceId, {
      event_id: randomUUID(),
      timestamp: spelled(ms, i % 3),
      model,
      provider: PROVIDERS[model],
      task_type: pick(TASK_TYPES),
      complexity: pick(["low", "medium", "high"] as const),
      harness: pick(HARNESSES),
      outcome: pick(OUTCOMES),
      quality_gate_passed: random() < 0.7,
      task_duration_ms: Math.floor(random() * 3_000_000),
      actual_input_tokens: actualIn,
      actual_output_tokens: actualOut,
      actual_cost_usd_micros: Math.floor(random() * 5_000_000),
      estimated_input_tokens: estimated ? Math.floor(actualIn * (0.2 + random() * 5)) : 0,
      estimated_output_tokens: estimated ? Math.floor(random() * 100_000) : 0,
      estimated_cost_usd_micros: estimated ? Math.floor(random() * 5_000_000) : 0,
    });
  });
}

/** The figures a series bucket must show, summed here by plain loops (not the fold). */
export interface ExpectedSums {
  events: number;
  input_tokens: number;
  output_tokens: number;
  cost_usd_micros: number;
  duration_ms: number;
  gate_passed: number;
  successes: number;
  estimated_events: number;
  estimated_input_tokens: number;
  estimated_output_tokens: number;
  estimated_cost_usd_micros: number;
  actual_input_tokens: number;
  actual_output_tokens: number;
  actual_cost_usd_micros: number;
  ratio_histogram: number[];
}

/** Histogram bucket by plain division: past every edge whose factor the event reaches. */
function bucketOf(event: TaskCompletionEvent): number {
  const factor = (event.actual_input_tokens + event.actual_output_tokens) / (event.estimated_input_tokens + event.estimated_output_tokens);
  return RATIO_BUCKET_EDGES.filter(([num, den]) => factor >= num / den).length;
}

function empty(): ExpectedSums {
  return {
    events: 0, input_tokens: 0, output_tokens: 0, cost_usd_micros: 0, duration_ms: 0, gate_passed: 0, successes: 0,
    estimated_events: 0, estimated_input_tokens: 0, estimated_output_tokens: 0, estimated_cost_usd_micros: 0,
    actual_input_tokens: 0, actual_output_tokens: 0, actual_cost_usd_micros: 0, ratio_histogram: new Array<number>(9).fill(0),
  };
}

/**
 * Expected series: key `${bucket start ISO}|${group}` → sums, for events in [from, to) by their
 * own timestamp, in UTC hour or day buckets, split by `groupBy` (or one series).
 */
export function expectedSeries(
  events: readonly TaskCompletionEvent[],
  options: { from: number; to: number; bucket: "hour" | "day"; groupBy: RollupDimension | null },
): { series: Map<string, ExpectedSums>; totals: ExpectedSums } {
  const size = options.bucket === "day" ? 24 * HOUR : HOUR;
  const series = new Map<string, ExpectedSums>();
  const totals = empty();
  for (const event of events) {
    const ms = Date.parse(event.timestamp);
    if (ms < options.from || ms >= options.to) continue;
    const start = new Date(Math.floor(ms / size) * size).toISOString();
    // A NUL in a model is kept as U+FFFD by rollups (PostgreSQL text cannot hold it).
    const group = options.groupBy === null ? "" : String(event[options.groupBy]).replaceAll("\u0000", "\uFFFD");
    const key = `${start}|${group}`;
    let sums = series.get(key);
    if (!sums) series.set(key, (sums = empty()));
    for (const target of [sums, totals]) {
      target.events += 1;
      target.input_tokens += event.actual_input_tokens;
      target.output_tokens += event.actual_output_tokens;
      target.cost_usd_micros += event.actual_cost_usd_micros;
      target.duration_ms += event.task_duration_ms;
      if (event.quality_gate_passed) target.gate_passed += 1;
      if (event.outcome === "success") target.successes += 1;
      if (event.estimated_input_tokens + event.estimated_output_tokens > 0) {
        target.estimated_events += 1;
        target.estimated_input_tokens += event.estimated_input_tokens;
        target.estimated_output_tokens += event.estimated_output_tokens;
        target.estimated_cost_usd_micros += event.estimated_cost_usd_micros;
        target.actual_input_tokens += event.actual_input_tokens;
        target.actual_output_tokens += event.actual_output_tokens;
        target.actual_cost_usd_micros += event.actual_cost_usd_micros;
        (target.ratio_histogram[bucketOf(event)] as number) += 1;
      }
    }
  }
  return { series, totals };
}

/** The same fields out of a UsageSums (storage's answer), for comparison with ExpectedSums. */
export function sumsAsExpected(sums: {
  events: number; inputTokens: number; outputTokens: number; costUsdMicros: number; durationMs: number; gatePassed: number; successes: number;
  estimatedEvents: number; estimatedInputTokens: number; estimatedOutputTokens: number; estimatedCostUsdMicros: number;
  estimatedActualInputTokens: number; estimatedActualOutputTokens: number; estimatedActualCostUsdMicros: number; ratioBuckets: number[];
}): ExpectedSums {
  return {
    events: sums.events, input_tokens: sums.inputTokens, output_tokens: sums.outputTokens, cost_usd_micros: sums.costUsdMicros,
    duration_ms: sums.durationMs, gate_passed: sums.gatePassed, successes: sums.successes, estimated_events: sums.estimatedEvents,
    estimated_input_tokens: sums.estimatedInputTokens, estimated_output_tokens: sums.estimatedOutputTokens,
    estimated_cost_usd_micros: sums.estimatedCostUsdMicros, actual_input_tokens: sums.estimatedActualInputTokens,
    actual_output_tokens: sums.estimatedActualOutputTokens, actual_cost_usd_micros: sums.estimatedActualCostUsdMicros,
    ratio_histogram: sums.ratioBuckets,
  };
}

/** The API's figures (UsageFigures) as ExpectedSums. */
export function figuresAsExpected(f: {
  events: number; input_tokens: number; output_tokens: number; cost_usd_micros: number; duration_ms: number; gate_passed: number; successes: number;
  estimates: { events: number; estimated_input_tokens: number; estimated_output_tokens: number; estimated_cost_usd_micros: number;
    actual_input_tokens: number; actual_output_tokens: number; actual_cost_usd_micros: number; ratio_histogram: number[] };
}): ExpectedSums {
  return {
    events: f.events, input_tokens: f.input_tokens, output_tokens: f.output_tokens, cost_usd_micros: f.cost_usd_micros, duration_ms: f.duration_ms,
    gate_passed: f.gate_passed, successes: f.successes, estimated_events: f.estimates.events,
    estimated_input_tokens: f.estimates.estimated_input_tokens, estimated_output_tokens: f.estimates.estimated_output_tokens,
    estimated_cost_usd_micros: f.estimates.estimated_cost_usd_micros, actual_input_tokens: f.estimates.actual_input_tokens,
    actual_output_tokens: f.estimates.actual_output_tokens, actual_cost_usd_micros: f.estimates.actual_cost_usd_micros,
    ratio_histogram: f.estimates.ratio_histogram,
  };
}
