import type { Quantiles } from "@mosaicstack/telemetry-protocol";
import { REPORTED_QUANTILES } from "../../../src/predictions/quantiles.js";

/**
 * The order-statistic walk of issue 13, as the strongest attacker runs it: it knows the honest
 * weighted mass and its own, so for every published quantile it knows which honest order
 * statistic the noiseless answer would be; it collects the published values per order statistic
 * over all its snapshots and takes their median as its estimate.
 */
export interface WalkObservation {
  /** The attacker's weighted mass below every honest value, in events. */
  attackerBelow: number;
  /** The attacker's whole weighted mass, in events. */
  attackerMass: number;
  quantiles: Quantiles;
}

/** The attacker's estimate of each of `honestCount` honest order statistics (null: never observed). */
export function walkEstimates(observations: readonly WalkObservation[], honestMass: number, honestCount: number): (number | null)[] {
  const seen: number[][] = Array.from({ length: honestCount }, () => []);
  const perEvent = honestMass / honestCount;
  for (const { attackerBelow, attackerMass, quantiles } of observations) {
    for (const [name, q] of Object.entries(REPORTED_QUANTILES)) {
      const honestRank = (q * (honestMass + attackerMass) - attackerBelow) / perEvent;
      const k = Math.floor(honestRank);
      const value = quantiles[name as keyof Quantiles];
      if (k >= 0 && k < honestCount && value > 0) seen[k]?.push(value);
    }
  }
  return seen.map((values) => (values.length === 0 ? null : median(values)));
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor((sorted.length - 1) / 2)] as number;
}

/** How many honest values (sorted ascending) an estimate recovers within `tolerance` (0.1: 10 %). */
export function recovered(estimates: readonly (number | null)[], honestSorted: readonly number[], tolerance: number): number {
  return estimates.filter((estimate, k) => estimate !== null && Math.abs(estimate / (honestSorted[k] as number) - 1) <= tolerance).length;
}
