import type { Quantiles } from "@mosaicstack/telemetry-protocol";
import { quantileRank } from "../aggregation/quantile-rank.js";
import { ZERO_BIN, binValue } from "../aggregation/sketch-mapping.js";

/** The quantiles a prediction reports, by field name. */
export const REPORTED_QUANTILES: Readonly<Record<keyof Quantiles, number>> = Object.freeze({
  p10: 0.1,
  p25: 0.25,
  median: 0.5,
  p75: 0.75,
  p90: 0.9,
});

/**
 * The lower q-quantile of the values folded into `bins` (bin index -> count): with n values
 * sorted ascending, the value at 0-based rank quantileRank(q, n), answered as its bin's
 * representative value, so within RELATIVE_ACCURACY of the exact lower quantile.
 * Not rounded: the representative sits exactly at the bound for values at a bin's edges, so
 * rounding to an integer could push it past 1 %. Not clamped: no min/max is stored.
 * Null when the bins hold no value.
 */
export function quantileFromBins(bins: ReadonlyMap<number, number>, q: number): number | null {
  if (!(q >= 0 && q <= 1)) throw new RangeError(`quantile must be within [0, 1], got ${q}`);
  const ordered = [...bins.entries()].filter(([, count]) => count > 0).sort(([a], [b]) => a - b);
  const n = ordered.reduce((sum, [, count]) => sum + count, 0);
  if (n === 0) return null;
  const rank = quantileRank(q, n);
  let cumulative = 0;
  for (const [bin, count] of ordered) {
    cumulative += count;
    if (cumulative > rank) return binValue(bin);
  }
  // Unreachable: cumulative ends at n > rank. Kept for the type checker.
  return binValue(ordered[ordered.length - 1]?.[0] ?? ZERO_BIN);
}

/** The five reported quantiles of `bins`; all 0 when the bins are empty (never for an answered group). */
export function quantilesFromBins(bins: ReadonlyMap<number, number>): Quantiles {
  const at = (q: number): number => quantileFromBins(bins, q) ?? 0;
  return {
    p10: at(REPORTED_QUANTILES.p10),
    p25: at(REPORTED_QUANTILES.p25),
    median: at(REPORTED_QUANTILES.median),
    p75: at(REPORTED_QUANTILES.p75),
    p90: at(REPORTED_QUANTILES.p90),
  };
}
