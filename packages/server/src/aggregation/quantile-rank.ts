/**
 * The one rank rule of a lower q-quantile over n values sorted ascending: the value at 0-based
 * rank floor(q * (n - 1)). Over sketch bins, the quantile is the bin where the running count in
 * ascending bin order first exceeds that rank.
 *
 * Applied over a Map of sketch bins by predictions/quantiles.ts (own history); both engines only
 * return the bins, never a located quantile, so the rule has this one owner.
 */
export function quantileRank(q: number, n: number): number {
  return Math.floor(q * (n - 1));
}
