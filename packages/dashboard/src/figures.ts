import type { EstimateFigures, SeriesPoint, UsageFigures } from "./api-types.js";

/**
 * Sums of series points, for figures per group over the whole range (the API gives totals for
 * the range, and per bucket and group; a group's total is the sum of its points). Rates and
 * factors are computed again from the sums, as the server does (usage-report.ts).
 */

const ratio = (part: number, whole: number): number | null => (whole > 0 ? part / whole : null);

function emptyEstimates(buckets: number): EstimateFigures {
  return {
    events: 0,
    without_estimate: 0,
    estimated_input_tokens: 0,
    estimated_output_tokens: 0,
    estimated_cost_usd_micros: 0,
    actual_input_tokens: 0,
    actual_output_tokens: 0,
    actual_cost_usd_micros: 0,
    correction_factors: { input: null, output: null, cost: null },
    ratio_histogram: new Array<number>(buckets).fill(0),
  };
}

export function emptyFigures(buckets: number): UsageFigures {
  return {
    events: 0,
    input_tokens: 0,
    output_tokens: 0,
    cost_usd_micros: 0,
    duration_ms: 0,
    gate_passed: 0,
    successes: 0,
    success_rate: null,
    gate_pass_rate: null,
    cost_per_success_usd_micros: null,
    estimates: emptyEstimates(buckets),
  };
}

const SUMMED = ["events", "input_tokens", "output_tokens", "cost_usd_micros", "duration_ms", "gate_passed", "successes"] as const;
const ESTIMATE_SUMMED = [
  "events",
  "without_estimate",
  "estimated_input_tokens",
  "estimated_output_tokens",
  "estimated_cost_usd_micros",
  "actual_input_tokens",
  "actual_output_tokens",
  "actual_cost_usd_micros",
] as const;

/** Adds `add` into `total` and recomputes the derived figures. */
export function addFigures(total: UsageFigures, add: UsageFigures): void {
  for (const field of SUMMED) total[field] += add[field];
  for (const field of ESTIMATE_SUMMED) total.estimates[field] += add.estimates[field];
  add.estimates.ratio_histogram.forEach((count, i) => (total.estimates.ratio_histogram[i] = (total.estimates.ratio_histogram[i] ?? 0) + count));
  total.success_rate = ratio(total.successes, total.events);
  total.gate_pass_rate = ratio(total.gate_passed, total.events);
  total.cost_per_success_usd_micros = ratio(total.cost_usd_micros, total.successes);
  const e = total.estimates;
  e.correction_factors = {
    input: ratio(e.actual_input_tokens, e.estimated_input_tokens),
    output: ratio(e.actual_output_tokens, e.estimated_output_tokens),
    cost: ratio(e.actual_cost_usd_micros, e.estimated_cost_usd_micros),
  };
}

/** One group's figures over the whole range (a row of the by-model or by-task-type tables). */
export interface GroupFigures {
  group: string;
  figures: UsageFigures;
}

/** Each group's figures over the range, costliest group first. */
export function figuresByGroup(series: readonly SeriesPoint[], buckets: number, split = true): GroupFigures[] {
  const groups = new Map<string, UsageFigures>();
  for (const point of series) {
    // In a split series, null is the groups past the biggest (the server sums them: other_groups).
    const name = point.group ?? (split ? "others" : "all");
    let figures = groups.get(name);
    if (figures === undefined) {
      figures = emptyFigures(buckets);
      groups.set(name, figures);
    }
    addFigures(figures, point);
  }
  return [...groups.entries()].map(([group, figures]) => ({ group, figures })).sort((a, b) => b.figures.cost_usd_micros - a.figures.cost_usd_micros);
}

/** The bucket starts of a range, so a chart shows empty hours/days as zero, not as a gap joined over. */
export function bucketStarts(fromIso: string, toIso: string, bucket: "hour" | "day"): number[] {
  const step = bucket === "hour" ? 3_600_000 : 86_400_000;
  const from = Date.parse(fromIso);
  const first = bucket === "day" ? Math.floor(from / step) * step : from;
  const starts: number[] = [];
  for (let t = first; t < Date.parse(toIso); t += step) starts.push(t);
  return starts;
}
