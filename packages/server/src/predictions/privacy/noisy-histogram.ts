import { GAMMA, ZERO_BIN } from "../../aggregation/sketch-mapping.js";
import { discreteLaplace, type RationalScale } from "./discrete-laplace.js";
import type { RandomIntegers } from "./random-integers.js";

/**
 * The noisy histogram a crowd snapshot reads its quantiles from (docs/predictions.md, "Noise").
 *
 * Three levels of counts, each with discrete Laplace noise: super bins of SUPER_WIDTH coarse
 * bins over a fixed domain (all of them), and in the super bins near the data their coarse bins
 * of COARSE_WIDTH sketch bins (about 8 %) and those coarse bins' sketch bins. An event sits in
 * one count of each level, so reading the histogram more finely costs no ε per event.
 * Everything after the noisy counts is post-processing:
 * - which super bins are released: those whose noisy count reaches superThreshold, with their
 *   neighbours, in runs of adjacent bins; of those runs, the one its own coarse and sketch-bin
 *   counts confirm as the heaviest, and any they confirm to hold twice the threshold (a run kept
 *   by noise alone, far from the data, would carry a small group's quantiles to absurd values);
 * - consistency: each released super bin's tree of counts is replaced by its least-squares
 *   estimates (Hay et al., VLDB 2010), so a cumulative count over many empty bins carries about
 *   one draw of noise per super bin, not one per coarse bin;
 * - which coarse bins are read through their sketch bins: those whose estimate is large against
 *   the noise scale (SPLIT_SCALES).
 */

/** Sketch bins per coarse bin: 4 bins of 2 % each, about 8 %. */
export const COARSE_WIDTH = 4;
/** Coarse bins per super bin (about 90 % wide). */
export const SUPER_WIDTH = 8;
/** The fixed domain of super bins: values from 1 up to about 10^12. */
export const SUPER_BINS = Math.ceil(Math.ceil(Math.log(1e12) / Math.log(GAMMA)) / (COARSE_WIDTH * SUPER_WIDTH)) + 1;
/**
 * Weighted events a super bin's noisy count needs for its coarse bins to be released: at least
 * 3, and enough that noise alone keeps an empty super bin in fewer than one snapshot in ten
 * (P(noise >= t) = e^(-t/scale)/2 over SUPER_BINS bins).
 */
export const SUPER_THRESHOLD = 3;
/**
 * A coarse bin is split into its sketch bins when its estimate reaches this many noise scales:
 * its sketch bins' noisy counts then still say where in the bin its mass lies. Tied to the
 * scale, not to a fixed count of events: large groups (less noise) split sparser bins.
 */
export const SPLIT_SCALES = 8;
/** The coarse bin that holds exact zeros. */
export const ZERO_COARSE = -1;

/** What a noisy histogram needs: the random source, the noise scale in weight units and units per event. */
export interface NoiseSettings {
  random: RandomIntegers;
  /** Scale of the discrete Laplace noise added to each released count, in weight units. */
  scale: RationalScale;
  /** Weight units of one event (instance-weights.ts WEIGHT_UNITS). */
  unitsPerEvent: number;
}

/** One released coarse bin: its estimated weight units and, when split, its sketch bins' estimates. */
export interface ReleasedBin {
  coarse: number;
  units: number;
  /** [sketch bin, estimated units], ascending, when the coarse bin is dense enough to split. */
  fine?: [number, number][];
}

/** The coarse bin of a sketch bin. */
export function coarseBin(sketchBin: number): number {
  return sketchBin === ZERO_BIN ? ZERO_COARSE : Math.floor(Math.max(0, sketchBin) / COARSE_WIDTH);
}

function superThreshold(noise: NoiseSettings): number {
  const scale = noise.scale.numerator / noise.scale.denominator;
  return Math.max(SUPER_THRESHOLD * noise.unitsPerEvent, Math.ceil(scale * Math.log(5 * SUPER_BINS)));
}

/**
 * The released histogram of `weighted` (coarse bin -> weight units; `fineWeighted`: sketch bin
 * -> weight units), ascending, the zero bin first when it is kept.
 */
export function noisyCoarseHistogram(weighted: ReadonlyMap<number, number>, noise: NoiseSettings, fineWeighted?: ReadonlyMap<number, number>): ReleasedBin[] {
  const superCounts = new Array<number>(SUPER_BINS).fill(0);
  for (const [coarse, units] of weighted) {
    if (coarse === ZERO_COARSE) continue;
    const index = Math.min(SUPER_BINS - 1, Math.floor(coarse / SUPER_WIDTH));
    superCounts[index] = (superCounts[index] as number) + units;
  }
  const noisySuper = superCounts.map((units) => units + discreteLaplace(noise.random, noise.scale));
  const threshold = superThreshold(noise);
  // The zero bin is one count with nothing to confirm it, so it needs twice the threshold:
  // noise alone must not make "0" a quantile (at the threshold it did in 1 % of small groups).
  const zero = (weighted.get(ZERO_COARSE) ?? 0) + discreteLaplace(noise.random, noise.scale);
  const released: ReleasedBin[] = zero >= 2 * threshold ? [{ coarse: ZERO_COARSE, units: zero }] : [];
  const splitAt = SPLIT_SCALES * (noise.scale.numerator / noise.scale.denominator);
  const { runs: candidates, kept } = candidateRuns(noisySuper, threshold);
  const runs = candidates.map((bins) => {
    const trees = bins.map((index) => superTree(index, noisySuper[index] as number, weighted, noise, fineWeighted));
    // A run's mass as its coarse and sketch-bin counts alone estimate it (over its kept bins):
    // they are drawn apart from the super counts that selected the run, so a run kept by noise
    // alone, far from the data, has about nothing there.
    const confirmed = trees.reduce((sum, tree, i) => sum + (kept.has(bins[i] as number) ? tree.confirming : 0), 0);
    return { bins, trees, confirmed };
  });
  // Released: the run its own counts confirm as the heaviest, and any other run they confirm to
  // hold twice the threshold (a real second mode); lighter runs are noise more often than data.
  const heaviest = Math.max(0, ...runs.map((run) => run.confirmed));
  const chosen = runs.filter(({ confirmed }) => confirmed > 0 && (confirmed === heaviest || confirmed >= 2 * threshold));
  for (const { bins, trees } of chosen) {
    bins.forEach((index, r) => {
      const tree = trees[r] as SuperTree;
      tree.coarse.forEach((units, i) => {
        const coarse = index * SUPER_WIDTH + i;
        const bin: ReleasedBin = { coarse, units };
        const fine = tree.fine?.[i];
        if (fine !== undefined && units >= splitAt) bin.fine = fine.map((estimate, j) => [coarse * COARSE_WIDTH + j, estimate]);
        released.push(bin);
      });
    });
  }
  return released;
}

interface SuperTree {
  coarse: number[];
  fine?: number[][];
  /** The super bin's mass as its coarse and sketch-bin counts alone estimate it. */
  confirming: number;
}

/** One released super bin: noise on each of its coarse bins and their sketch bins, made consistent with its noisy count. */
function superTree(index: number, noisySuper: number, weighted: ReadonlyMap<number, number>, noise: NoiseSettings, fineWeighted?: ReadonlyMap<number, number>): SuperTree {
  // Every coarse bin of a released super bin gets noise, and so does each of its sketch bins:
  // an event is in one count per level however the histogram is read afterwards.
  const coarseBins = Array.from({ length: SUPER_WIDTH }, (_, i) => index * SUPER_WIDTH + i);
  const coarseCounts = coarseBins.map((coarse) => (weighted.get(coarse) ?? 0) + discreteLaplace(noise.random, noise.scale));
  const fineCounts =
    fineWeighted === undefined
      ? undefined
      : coarseBins.map((coarse) => Array.from({ length: COARSE_WIDTH }, (_, j) => (fineWeighted.get(coarse * COARSE_WIDTH + j) ?? 0) + discreteLaplace(noise.random, noise.scale)));
  return consistentTree(noisySuper, coarseCounts, fineCounts);
}

/**
 * The least-squares estimates of one super bin's tree of noisy counts (the super bin, its coarse
 * bins, their sketch bins; equal noise on every count), by the two passes of Hay et al. (VLDB
 * 2010): bottom up, each node's count is combined with its children's estimates by inverse
 * variance; top down, the difference between a node's estimate and its children's is spread
 * equally over the children. Variances are in units of one count's noise variance.
 */
function consistentTree(superCount: number, coarseCounts: readonly number[], fineCounts?: readonly (readonly number[])[]): SuperTree {
  const combine = (own: number, children: readonly number[], childVariance: number): [estimate: number, variance: number] => {
    const sumVariance = children.length * childVariance;
    const sum = children.reduce((total, count) => total + count, 0);
    return [(own * sumVariance + sum) / (sumVariance + 1), sumVariance / (sumVariance + 1)];
  };
  const coarseUp = coarseCounts.map((count, i): [number, number] => (fineCounts === undefined ? [count, 1] : combine(count, fineCounts[i] as number[], 1)));
  const confirming = coarseUp.reduce((sum, [estimate]) => sum + estimate, 0);
  const [superEstimate] = combine(superCount, coarseUp.map(([estimate]) => estimate), coarseUp[0]?.[1] ?? 1);
  const coarse = spread(superEstimate, coarseUp.map(([estimate]) => estimate));
  return fineCounts === undefined ? { coarse, confirming } : { coarse, confirming, fine: fineCounts.map((counts, i) => spread(coarse[i] as number, counts)) };
}

/** Children's estimates moved, equally, so they add up to their parent's estimate. */
function spread(parent: number, children: readonly number[]): number[] {
  const shift = (parent - children.reduce((sum, count) => sum + count, 0)) / children.length;
  return children.map((count) => count + shift);
}

/**
 * The runs of super bins whose coarse bins may be released, ascending: those whose noisy count
 * reaches `threshold`, with their neighbours, grouped in runs of adjacent bins.
 */
function candidateRuns(noisySuper: readonly number[], threshold: number): { runs: number[][]; kept: Set<number> } {
  const kept = noisySuper.map((count) => count >= threshold);
  const runs: number[][] = [];
  for (let index = 0; index < noisySuper.length; index++) {
    if (!(kept[index] === true || kept[index - 1] === true || kept[index + 1] === true)) continue;
    const last = runs[runs.length - 1];
    if (last !== undefined && last[last.length - 1] === index - 1) last.push(index);
    else runs.push([index]);
  }
  return { runs, kept: new Set(kept.flatMap((k, i) => (k ? [i] : []))) };
}
