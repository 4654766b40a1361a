import type { Quantiles } from "@mosaicstack/telemetry-protocol";
import { SKETCH_METRICS, type SketchMetric } from "../../../src/aggregation/sketch-metrics.js";
import { computeCrowdSnapshot, type CrowdSnapshot } from "../../../src/predictions/privacy/crowd-snapshot.js";
import { DEFAULT_PRIVACY_PARAMETERS, type PrivacyParameters } from "../../../src/predictions/privacy/privacy-parameters.js";
import { REPORTED_QUANTILES } from "../../../src/predictions/quantiles.js";
import { logNormalInt, seededRandom } from "../seeded-random.js";
import { aggregateOf, eventOf, weightedQuantile } from "./synthetic-instances.js";
import { seededRandomIntegers } from "../../helpers/seeded-noise.js";

/**
 * The crowds goal 4 is measured on (crowd-snapshot-utility.test.ts and privacy-table.ts): 20
 * instances with 50 to 70 events each (so at least 1,000), each metric drawn from its own known
 * log-normal distribution, its median and σ set by the seed (σ from 0.3 to 1.0).
 */

export interface MetricDistribution {
  median: number;
  sigma: number;
}

export interface UtilityCrowd {
  distributions: Record<SketchMetric, MetricDistribution>;
  /** Per instance, per event, the four metric values. */
  events: Record<SketchMetric, number>[][];
}

const SIGMAS: Record<SketchMetric, readonly number[]> = {
  input_tokens: [0.3, 0.5, 0.8, 1.0],
  output_tokens: [0.6, 1.0, 0.4, 0.8],
  cost_usd_micros: [0.8, 0.4, 1.0, 0.6],
  duration_ms: [1.0, 0.7, 0.5, 0.3],
};
const BASE_MEDIANS: Record<SketchMetric, readonly [number, number]> = {
  input_tokens: [100, 37],
  output_tokens: [20, 13],
  cost_usd_micros: [1_000, 91],
  duration_ms: [500, 53],
};

export function utilityCrowd(seed: number): UtilityCrowd {
  const random = seededRandom(seed);
  const distributions = Object.fromEntries(
    SKETCH_METRICS.map((metric) => {
      const [base, step] = BASE_MEDIANS[metric];
      return [metric, { median: base * (1 + seed * step), sigma: SIGMAS[metric][seed % 4] as number }];
    }),
  ) as Record<SketchMetric, MetricDistribution>;
  const draw = (): Record<SketchMetric, number> =>
    Object.fromEntries(SKETCH_METRICS.map((metric) => [metric, Math.max(1, logNormalInt(random, distributions[metric].median, distributions[metric].sigma))])) as Record<SketchMetric, number>;
  const events = Array.from({ length: 20 }, () => Array.from({ length: 50 + Math.floor(random() * 21) }, draw));
  return { distributions, events };
}

/** The crowd's snapshot with a seeded noise stream (contributor minimum 5, event minimum 10). */
export function utilitySnapshot(crowd: UtilityCrowd, noiseSeed: string, parameters: PrivacyParameters = DEFAULT_PRIVACY_PARAMETERS): CrowdSnapshot {
  return computeCrowdSnapshot({
    groupKey: "g",
    instances: crowd.events.map((events, i) => aggregateOf(`i${String(i).padStart(2, "0")}`, events.map((values) => ({ ...eventOf(0), values })))),
    thresholds: UTILITY_THRESHOLDS,
    parameters,
    random: seededRandomIntegers(noiseSeed),
    computedAt: new Date("2026-12-01T10:00:00Z"),
    answeredBefore: false,
  });
}

export const UTILITY_THRESHOLDS = { minEvents: 10, minContributors: 5 };

/** One group's goal-4 figures: every quantile's relative error and the p10-p90 band's coverage of held-out values, per metric. */
export interface UtilityReport {
  errors: { metric: SketchMetric; quantile: string; published: number; exact: number; error: number }[];
  covered: number;
  heldOut: number;
}

export function utilityReport(crowd: UtilityCrowd, snapshot: CrowdSnapshot, heldOutSeed: number, heldOutPerMetric = 500): UtilityReport {
  const prediction = snapshot.prediction;
  if (!prediction) throw new Error("a goal-4 crowd must answer");
  const report: UtilityReport = { errors: [], covered: 0, heldOut: 0 };
  const random = seededRandom(heldOutSeed);
  for (const metric of SKETCH_METRICS) {
    const values = crowd.events.map((list) => list.map((event) => event[metric]));
    const published: Quantiles = prediction[metric];
    for (const [name, q] of Object.entries(REPORTED_QUANTILES)) {
      const exact = weightedQuantile(values, q, UTILITY_THRESHOLDS.minContributors);
      const value = published[name as keyof Quantiles];
      report.errors.push({ metric, quantile: name, published: value, exact, error: Math.abs(value / exact - 1) });
    }
    const { median, sigma } = crowd.distributions[metric];
    for (let h = 0; h < heldOutPerMetric; h++) {
      const value = Math.max(1, logNormalInt(random, median, sigma));
      report.heldOut += 1;
      if (value >= published.p10 && value <= published.p90) report.covered += 1;
    }
  }
  return report;
}
