import { GAMMA } from "../../aggregation/sketch-mapping.js";
import { COARSE_WIDTH, ZERO_COARSE, type ReleasedBin } from "./noisy-histogram.js";

/**
 * Quantiles read off a released noisy histogram (noisy-histogram.ts): from the noisy cumulative
 * counts, from the bottom for q <= 0.5 and from the top above (so noise from the far side of
 * the domain does not add up), interpolated geometrically inside the bin, or inside the sketch
 * bin when its coarse bin was split.
 */

/** The values a coarse bin covers, (lower, upper]: its sketch bins' ranges joined. */
export function coarseRange(coarse: number): [number, number] {
  return [Math.pow(GAMMA, coarse * COARSE_WIDTH - 1), Math.pow(GAMMA, coarse * COARSE_WIDTH + COARSE_WIDTH - 1)];
}

/** Rounds to three significant digits (released values carry no finer precision). */
export function roundSignificant(value: number, digits = 3): number {
  if (value === 0 || !Number.isFinite(value)) return value;
  const magnitude = Math.floor(Math.log10(Math.abs(value)));
  const shift = digits - 1 - magnitude;
  // Dividing by a power of ten above 1, never multiplying by one below, keeps 2990000 exact (not 2990000.0000000005).
  return shift >= 0 ? Math.round(value * 10 ** shift) / 10 ** shift : Math.round(value / 10 ** -shift) * 10 ** -shift;
}

/** The lower-rank q-quantile of a released histogram, or null when it holds too little. */
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

/** The value at `fraction` of a split coarse bin's mass, walking its sketch bins (negative estimates as 0). */
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
