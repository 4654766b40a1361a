import { GAMMA, ZERO_BIN } from "../../aggregation/sketch-mapping.js";
import { discreteLaplace, type RationalScale } from "./discrete-laplace.js";
import type { RandomIntegers } from "./random-integers.js";

/**
 * Noisy quantiles from weighted sketch bins (docs/decisions/0010-prediction-privacy.md).
 *
 * The 1 % sketch bins are merged into coarse bins of COARSE_WIDTH (about 8 % wide), and every
 * coarse bin near the data gets discrete Laplace noise, empty ones too, so a quantile cannot
 * land only where some event lies. Which coarse bins are "near the data" is itself decided on
 * noisy counts: super bins of SUPER_WIDTH coarse bins over a fixed domain each get noise, and
 * those whose noisy count reaches SUPER_THRESHOLD events, with their neighbours, are kept. A
 * quantile is read off the noisy cumulative counts (from the bottom for q <= 0.5, from the top
 * above, so noise from the far side of the domain does not add up) and interpolated
 * geometrically inside its coarse bin, then rounded to three significant digits.
 */

/** Sketch bins per coarse bin: 4 bins of 2 % each, about 8 %. */
export const COARSE_WIDTH = 4;
/** Coarse bins per super bin (about 90 % wide). */
export const SUPER_WIDTH = 8;
/**
 * Weighted events a super bin's noisy count needs for its coarse bins to be released: at least
 * 3, and enough that noise alone keeps an empty super bin in fewer than one snapshot in ten
 * (P(noise >= t) = e^(-t/scale)/2 over SUPER_BINS bins), else spurious bins far from the data
 * would carry the quantiles of a small group off to nowhere.
 */
export const SUPER_THRESHOLD = 3;
function superThreshold(noise: NoiseSettings): number {
  const scale = noise.scale.numerator / noise.scale.denominator;
  return Math.max(SUPER_THRESHOLD * noise.unitsPerEvent, Math.ceil(scale * Math.log(5 * SUPER_BINS)));
}
/** The fixed domain of super bins: values from 1 up to about 10^12. */
const SUPER_BINS = Math.ceil(Math.ceil(Math.log(1e12) / Math.log(GAMMA)) / (COARSE_WIDTH * SUPER_WIDTH)) + 1;
/** Weighted events a coarse bin's noisy count needs for its sketch bins to be released too (dense data only). */
export const SPLIT_THRESHOLD = 40;
/** The coarse bin that holds exact zeros. */
const ZERO_COARSE = -1;

/** What a noisy quantile read needs: the random source, the noise scale in weight units and units per event. */
export interface NoiseSettings {
  random: RandomIntegers;
  /** Scale of the discrete Laplace noise added to each released count, in weight units. */
  scale: RationalScale;
  /** Weight units of one event (instance-weights.ts WEIGHT_UNITS). */
  unitsPerEvent: number;
}

/** The coarse bin of a sketch bin. */
export function coarseBin(sketchBin: number): number {
  return sketchBin === ZERO_BIN ? ZERO_COARSE : Math.floor(Math.max(0, sketchBin) / COARSE_WIDTH);
}

/** The values a coarse bin covers, (lower, upper]: its sketch bins' ranges joined. */
export function coarseRange(coarse: number): [number, number] {
  return [Math.pow(GAMMA, coarse * COARSE_WIDTH - 1), Math.pow(GAMMA, coarse * COARSE_WIDTH + COARSE_WIDTH - 1)];
}

/** Rounds to three significant digits (released values carry no finer precision). */
export function roundSignificant(value: number, digits = 3): number {
  if (value === 0 || !Number.isFinite(value)) return value;
  const magnitude = Math.floor(Math.log10(Math.abs(value)));
  const factor = Math.pow(10, digits - 1 - magnitude);
  return Math.round(value * factor) / factor;
}

/**
 * The noisy coarse histogram of `weighted` (coarse bin -> weight units): noise on every kept
 * coarse bin and on the zero bin, in ascending bin order.
 */
export interface ReleasedBin {
  coarse: number;
  units: number;
  /** The noisy counts of its sketch bins, ascending, when the coarse bin is dense enough to split. */
  fine?: [number, number][];
}

/** Super bins [low, high) that get noise: the whole fixed domain unless a statistic has a narrower one. */
export interface SuperDomain {
  low: number;
  high: number;
}

/** The super bins whose values lie within [lowValue, highValue]. */
export function superDomainOf(lowValue: number, highValue: number): SuperDomain {
  const superOf = (value: number): number => Math.floor(coarseBin(Math.ceil(Math.log(value) / Math.log(GAMMA))) / SUPER_WIDTH);
  return { low: Math.max(0, superOf(lowValue)), high: Math.min(SUPER_BINS, superOf(highValue) + 1) };
}

export function noisyCoarseHistogram(
  weighted: ReadonlyMap<number, number>,
  noise: NoiseSettings,
  fineWeighted?: ReadonlyMap<number, number>,
  domain: SuperDomain = { low: 0, high: SUPER_BINS },
): ReleasedBin[] {
  const superCounts = new Array<number>(SUPER_BINS).fill(0);
  for (const [coarse, units] of weighted) {
    if (coarse === ZERO_COARSE) continue;
    const index = Math.min(SUPER_BINS - 1, Math.floor(coarse / SUPER_WIDTH));
    superCounts[index] = (superCounts[index] as number) + units;
  }
  const threshold = superThreshold(noise);
  const kept = superCounts.map((units, index) => index >= domain.low && index < domain.high && units + discreteLaplace(noise.random, noise.scale) >= threshold);
  // The zero bin is kept by the same rule as a super bin: noise alone must not make "0" a quantile.
  const zero = (weighted.get(ZERO_COARSE) ?? 0) + discreteLaplace(noise.random, noise.scale);
  const released: ReleasedBin[] = zero >= threshold ? [{ coarse: ZERO_COARSE, units: zero }] : [];
  for (let index = domain.low; index < domain.high; index++) {
    if (!(kept[index] || kept[index - 1] === true || kept[index + 1] === true)) continue;
    for (let coarse = index * SUPER_WIDTH; coarse < (index + 1) * SUPER_WIDTH; coarse++) {
      const units = (weighted.get(coarse) ?? 0) + discreteLaplace(noise.random, noise.scale);
      const bin: ReleasedBin = { coarse, units };
      if (fineWeighted !== undefined && units >= SPLIT_THRESHOLD * noise.unitsPerEvent) {
        bin.fine = [];
        for (let sketch = coarse * COARSE_WIDTH; sketch < (coarse + 1) * COARSE_WIDTH; sketch++) {
          bin.fine.push([sketch, (fineWeighted.get(sketch) ?? 0) + discreteLaplace(noise.random, noise.scale)]);
        }
      }
      released.push(bin);
    }
  }
  return released;
}

/** The lower-rank q-quantile of a released histogram (see the file comment), or null when it holds too little. */
export function quantileOfReleased(released: readonly ReleasedBin[], q: number): number | null {
  const total = released.reduce((sum, { units }) => sum + units, 0);
  if (total <= 0) return null;
  const fromTop = q > 0.5;
  const rank = (fromTop ? 1 - q : q) * total;
  const order = fromTop ? [...released].reverse() : released;
  let cumulative = 0;
  for (const { coarse, units, fine } of order) {
    if (units > 0 && cumulative + units > rank) {
      if (coarse === ZERO_COARSE) return 0;
      const fraction = Math.min(1, Math.max(0, (rank - cumulative) / units));
      return fine === undefined ? interpolate(coarseRange(coarse), fraction, fromTop) : withinFine(fine, fraction, fromTop);
    }
    cumulative += units;
  }
  return null;
}

/** Geometric interpolation at `fraction` of a range's mass, counted from its top when `fromTop`. */
function interpolate([lower, upper]: [number, number], fraction: number, fromTop: boolean): number {
  return fromTop ? upper * Math.pow(lower / upper, fraction) : lower * Math.pow(upper / lower, fraction);
}

/** The value at `fraction` of a split coarse bin's mass, walking its sketch bins (negative noisy counts as 0). */
function withinFine(fine: readonly [number, number][], fraction: number, fromTop: boolean): number {
  const bins = (fromTop ? [...fine].reverse() : fine).map(([sketch, units]) => [sketch, Math.max(0, units)] as const);
  const total = bins.reduce((sum, [, units]) => sum + units, 0);
  const target = fraction * total;
  let cumulative = 0;
  for (const [sketch, units] of bins) {
    if (units > 0 && cumulative + units >= target) {
      return interpolate([Math.pow(GAMMA, sketch - 1), Math.pow(GAMMA, sketch)], (target - cumulative) / units, fromTop);
    }
    cumulative += units;
  }
  const [first] = fine;
  return interpolate(coarseRange(Math.floor((first?.[0] ?? 0) / COARSE_WIDTH)), fraction, fromTop);
}
