import type { Prediction, Quantiles } from "@mosaicstack/telemetry-protocol";
import { SKETCH_METRICS, type SketchMetric } from "../../aggregation/sketch-metrics.js";
import { REPORTED_QUANTILES } from "../quantiles.js";
import { discreteLaplace } from "./discrete-laplace.js";
import type { InstanceAggregate } from "../../aggregation/instance-aggregate.js";
import { WEIGHT_UNITS, apportion, instanceUnits, weightCap } from "./instance-weights.js";
import { WeightedBins } from "./weighted-bins.js";
import { noisyCoarseHistogram, type NoiseSettings, type ReleasedBin } from "./noisy-histogram.js";
import { quantileOfReleased, roundSignificant } from "./released-quantiles.js";
import { noiseScale, sizeFactor, type PrivacyParameters } from "./privacy-parameters.js";
import type { RandomIntegers } from "./random-integers.js";

/**
 * What one group publishes for one snapshot interval: computed from its instances' aggregates
 * with bounded weights and noise, stored, and served unchanged to every query until the next.
 */
export interface CrowdSnapshot {
  groupKey: string;
  /** When it was computed (whole seconds): the answers' last_updated. */
  computedAt: string;
  /** Whether the group answers. Once true it stays true (no one can switch a level off). */
  answers: boolean;
  /** Weighted events (each instance capped), noisy and rounded to tens; 0 when the group does not answer. */
  sampleSize: number;
  /** Contributing instances, rounded down to a multiple of 5 (at least the minimum); 0 when not answering. */
  contributors: number;
  prediction: Prediction | null;
}

export interface SnapshotInput {
  groupKey: string;
  /** Every instance's aggregates in the group; order does not matter. */
  instances: readonly InstanceAggregate[];
  thresholds: { minEvents: number; minContributors: number };
  parameters: PrivacyParameters;
  random: RandomIntegers;
  computedAt: Date;
  /** Whether the group's previous snapshot answered. */
  answeredBefore: boolean;
}

/** Computes a group's snapshot (docs/predictions.md, "Privacy"). Deterministic for a seeded `random`. */
export function computeCrowdSnapshot(input: SnapshotInput): CrowdSnapshot {
  const { thresholds, random } = input;
  // Each released statistic draws from its own fork (random.fork), so its noise is the same
  // whatever the other statistics drew: engines and reruns agree draw for draw.
  // Instance order fixes the order of noise draws: by id, so every engine draws the same noise.
  const instances = [...input.instances].filter((instance) => instance.events > 0).sort((a, b) => (a.instanceId < b.instanceId ? -1 : a.instanceId > b.instanceId ? 1 : 0));
  const computedAt = new Date(Math.floor(input.computedAt.getTime() / 1000) * 1000).toISOString();
  const cap = weightCap(
    instances.map((instance) => instance.events),
    thresholds.minContributors,
  );
  const units = instances.map((instance) => instanceUnits(instance.events, cap));
  const noise = (label: string, factor = 1): NoiseSettings => ({ random: random.fork(label), scale: noiseScale(input.parameters, factor), unitsPerEvent: WEIGHT_UNITS });
  const epsilon = input.parameters.epsilon.numerator / input.parameters.epsilon.denominator;
  const noisyUnits = units.reduce((sum, u) => sum + u, 0) + discreteLaplace(random.fork("weighted-events"), noiseScale(input.parameters));

  // The contributor minimum is exact: no crowd answer ever rests on fewer instances.
  const meets = instances.length >= thresholds.minContributors && noisyUnits >= thresholds.minEvents * WEIGHT_UNITS;
  const answers = instances.length >= thresholds.minContributors && (input.answeredBefore || meets);
  if (!answers) return { groupKey: input.groupKey, computedAt, answers: false, sampleSize: 0, contributors: 0, prediction: null };

  // The size factor reads the mass of the instances other than the k busiest (noised like the
  // total), so no instance, however it reports, buys the group less noise.
  const restUnits = [...units].sort((a, b) => b - a).slice(thresholds.minContributors).reduce((sum, u) => sum + u, 0);
  const factor = sizeFactor((restUnits + discreteLaplace(random.fork("size"), noiseScale(input.parameters))) / WEIGHT_UNITS);
  const released = SKETCH_METRICS.map((metric) => metricQuantiles(instances, units, metric, noise(metric, factor)));
  // A metric whose noisy histogram kept nothing has no quantiles to publish: the group does not
  // answer yet (unless it did before), rather than publish zeros.
  if (released.some((quantiles) => quantiles === null) && !input.answeredBefore) {
    return { groupKey: input.groupKey, computedAt, answers: false, sampleSize: 0, contributors: 0, prediction: null };
  }
  const empty: Quantiles = { p10: 0, p25: 0, median: 0, p75: 0, p90: 0 };
  const quantiles = Object.fromEntries(SKETCH_METRICS.map((metric, m) => [metric, released[m] ?? empty])) as Record<SketchMetric, Quantiles>;
  const prediction: Prediction = {
    input_tokens: quantiles.input_tokens,
    output_tokens: quantiles.output_tokens,
    cost_usd_micros: quantiles.cost_usd_micros,
    duration_ms: quantiles.duration_ms,
    correction_factors: {
      input: correctionFactor(instances, random.fork("correction-input"), epsilon, thresholds.minContributors, (i) => [i.sumActualInputTokens, i.sumEstimatedInputTokens]),
      output: correctionFactor(instances, random.fork("correction-output"), epsilon, thresholds.minContributors, (i) => [i.sumActualOutputTokens, i.sumEstimatedOutputTokens]),
    },
    quality: {
      gate_pass_rate: rate(instances, units, noisyUnits, noise("gate-pass"), (i) => i.gatePassed),
      success_rate: rate(instances, units, noisyUnits, noise("success"), (i) => i.successes),
    },
  };
  return {
    groupKey: input.groupKey,
    computedAt,
    answers: true,
    // The capped weighted count (with its noise), not the raw events: one instance cannot inflate
    // it, and averaging it over snapshots gives no exact count.
    sampleSize: Math.max(thresholds.minEvents, Math.round(noisyUnits / WEIGHT_UNITS / 10) * 10),
    contributors: Math.max(thresholds.minContributors, Math.floor(instances.length / 5) * 5),
    prediction,
  };
}

/** The five quantiles of one metric from the instances' bins, weighted and noised; null when the noisy histogram kept nothing. */
function metricQuantiles(instances: readonly InstanceAggregate[], units: readonly number[], metric: SketchMetric, noise: NoiseSettings): Quantiles | null {
  const weighted = new WeightedBins();
  instances.forEach((instance, index) => {
    const instanceUnits = units[index] as number;
    const bins = instance.bins[metric];
    // An uncapped instance's events weigh whole units each, so its bins need no apportioning (most
    // instances of a group): the same split as apportion's, without its allocations.
    let total = 0;
    bins.forEach((count) => {
      if (count > 0) total += count;
    });
    if (total > 0 && instanceUnits % total === 0) {
      const perEvent = instanceUnits / total;
      bins.forEach((count, bin) => {
        if (count > 0) weighted.add(bin, count * perEvent);
      });
    } else for (const [bin, share] of apportion(bins, instanceUnits)) weighted.add(bin, share);
  });
  return releasedQuantiles(noisyCoarseHistogram(weighted.coarse(), noise, weighted.fine()));
}

function releasedQuantiles(released: readonly ReleasedBin[]): Quantiles | null {
  if (released.reduce((sum, bin) => sum + bin.units, 0) <= 0) return null;
  const values = Object.values(REPORTED_QUANTILES).map((q) => quantileOfReleased(released, q) ?? 0);
  // Noise can cross neighbouring quantiles; the published ones stay in order.
  for (let i = 1; i < values.length; i++) values[i] = Math.max(values[i] as number, values[i - 1] as number);
  const [p10, p25, median, p75, p90] = values.map((value) => roundSignificant(value)) as [number, number, number, number, number];
  return { p10, p25, median, p75, p90 };
}

/** Instances' ratios are clamped into this range before they are weighed, and so is the factor. */
export const CORRECTION_RANGE = Object.freeze({ min: 0.05, max: 20 });

/** Candidate factors of the noisy median: CORRECTION_RANGE in steps of 10 % (few candidates far from the votes). */
const RATIO_CANDIDATES = Array.from({ length: Math.floor(Math.log(CORRECTION_RANGE.max / CORRECTION_RANGE.min) / Math.log(1.1)) + 1 }, (_, i) => CORRECTION_RANGE.min * 1.1 ** i);

/**
 * A correction factor: a noisy median of the instances' own ratios (actual over estimated, over
 * their events with an estimate, clamped to CORRECTION_RANGE), each instance one vote whatever
 * its events, picked by the exponential mechanism (a candidate whose two sides differ by d votes is e^(-εd/2)
 * as likely as the middle: noise of about 1/ε votes), to one decimal. One instance's vote moves
 * the middle by half a vote; with fewer than 4k instances that estimated (k = the contributor
 * minimum) the noisy median is mostly noise (and without noise it would be one instance's ratio), so the factor is 1 (not given). No global
 * sum is released, so no instance's sums can be solved for.
 */
function correctionFactor(
  instances: readonly InstanceAggregate[],
  random: RandomIntegers,
  epsilon: number,
  minContributors: number,
  sums: (instance: InstanceAggregate) => [actual: number, estimated: number],
): number {
  const ratios: number[] = [];
  for (const instance of instances) {
    const [actual, estimated] = sums(instance);
    if (estimated > 0) ratios.push(Math.min(CORRECTION_RANGE.max, Math.max(CORRECTION_RANGE.min, actual / estimated)));
  }
  if (ratios.length < 4 * minContributors) return 1;
  ratios.sort((a, b) => a - b);
  // Score: minus how far the candidate is from splitting the votes in two halves (sensitivity 1).
  const weights = RATIO_CANDIDATES.map((candidate) => {
    const below = countBelow(ratios, candidate);
    const above = ratios.length - countBelow(ratios, candidate, true);
    return Math.exp((-epsilon * Math.abs(below - above)) / 2);
  });
  const total = weights.reduce((sum, weight) => sum + weight, 0);
  let target = (random.below(2 ** 47) / 2 ** 47) * total;
  let picked = RATIO_CANDIDATES.length - 1;
  for (let i = 0; i < weights.length; i++) {
    target -= weights[i] as number;
    if (target < 0) {
      picked = i;
      break;
    }
  }
  return Math.max(0.1, Math.round((RATIO_CANDIDATES[picked] as number) * 10) / 10);
}

/** How many of the ascending `sorted` are below `value` (or at most `value`, when `orEqual`): a binary search. */
function countBelow(sorted: readonly number[], value: number, orEqual = false): number {
  let low = 0;
  let high = sorted.length;
  while (low < high) {
    const middle = (low + high) >>> 1;
    const at = sorted[middle] as number;
    if (at < value || (orEqual && at === value)) low = middle + 1;
    else high = middle;
  }
  return low;
}

/** A weighted rate (each instance's own rate, by its weight), noised, clamped to [0, 1], to two decimals. */
function rate(instances: readonly InstanceAggregate[], units: readonly number[], noisyUnits: number, noise: NoiseSettings, count: (instance: InstanceAggregate) => number): number {
  let hits = 0;
  instances.forEach((instance, index) => {
    const instanceUnits = units[index] as number;
    const hit = count(instance);
    // An uncapped instance's events weigh whole units each: its hits need no apportioning.
    if (instanceUnits % instance.events === 0) hits += hit * (instanceUnits / instance.events);
    else hits += apportion(new Map([[1, hit], [0, instance.events - hit]]), instanceUnits).get(1) ?? 0;
  });
  const noisy = hits + discreteLaplace(noise.random, noise.scale);
  if (noisyUnits <= 0) return 0;
  return Math.round(Math.min(1, Math.max(0, noisy / noisyUnits)) * 100) / 100;
}
