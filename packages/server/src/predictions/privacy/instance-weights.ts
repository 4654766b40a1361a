/**
 * Bounded influence: how much each contributing instance weighs in a group's crowd answer.
 *
 * Every event weighs 1 until its instance has more events than the group's cap; past it, the
 * instance's events share `cap` between them. The cap is the count of the group's k-th busiest
 * instance (k = the contributor minimum), so no instance weighs more than the k-th busiest, and
 * one instance holds at most about 1/k of a group where k instances or more contribute. The cap
 * never falls when events or instances are added (a k-th largest value can only grow), so no
 * instance can shrink the others' weight by reporting more, or by adding instances.
 *
 * Weights are kept in integer units, WEIGHT_UNITS per event, so noise can be discrete.
 */

/**
 * Units of weight of one uncapped event. Fine enough that rounding a capped instance's share to
 * whole units moves a cumulative count by a small part of an event: at 8 units per event the
 * rounding alone put a tail quantile on the wrong side of a gap in the sample (past 3 % in 1 of
 * 100 crowds with no noise at all, 4 of 100 at the default ε; at 64, none:
 * docs/benchmarks/prediction-accuracy.md). The noise scales with it (privacy-parameters.ts), so
 * ε is the same.
 */
export const WEIGHT_UNITS = 64;

/** The cap, in events: the k-th largest of `eventCounts` (the smallest when fewer than k). */
export function weightCap(eventCounts: readonly number[], k: number): number {
  if (eventCounts.length === 0) return 0;
  const sorted = [...eventCounts].sort((a, b) => b - a);
  return sorted[Math.min(k, sorted.length) - 1] as number;
}

/** An instance's whole weight in units: its events, capped. */
export function instanceUnits(events: number, cap: number): number {
  return WEIGHT_UNITS * Math.min(events, cap);
}

/**
 * Splits `units` over the counts in `parts` (bin -> events) in proportion, as integers that sum
 * to `units` exactly (largest remainder; ties to the lower key, so the split is deterministic).
 */
export function apportion(parts: ReadonlyMap<number, number>, units: number): Map<number, number> {
  // forEach rather than iterators throughout: a stored sketch (aggregation/sketch-bins.ts) walks its bytes without one.
  let total = 0;
  parts.forEach((count) => (total += count));
  const result = new Map<number, number>();
  if (total <= 0 || units <= 0) return result;
  // An uncapped instance (most of a group's) gets a whole number of units per event: its split
  // is exact, nothing to hand out by remainder. Same result as the general path, far cheaper.
  if (units % total === 0) {
    const perEvent = units / total;
    parts.forEach((count, key) => {
      if (count > 0) result.set(key, count * perEvent);
    });
    return result;
  }
  const shares: { key: number; whole: number; rest: number }[] = [];
  parts.forEach((count, key) => {
    if (count <= 0) return;
    const exact = (count * units) / total;
    const whole = Math.floor(exact);
    shares.push({ key, whole, rest: exact - whole });
  });
  let left = units - shares.reduce((sum, share) => sum + share.whole, 0);
  shares.sort((a, b) => b.rest - a.rest || a.key - b.key);
  for (const share of shares) {
    const extra = left > 0 ? 1 : 0;
    left -= extra;
    if (share.whole + extra > 0) result.set(share.key, share.whole + extra);
  }
  return result;
}
