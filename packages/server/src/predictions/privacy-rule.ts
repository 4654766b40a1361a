import type { GroupSummary } from "../storage/storage.js";

/** The minimums every answered group, and every remainder, must meet. */
export interface PredictionThresholds {
  /** Events a group needs. @default 10 */
  minEvents: number;
  /** Distinct contributing instances a group needs. @default 5 */
  minContributors: number;
}

export const DEFAULT_PREDICTION_THRESHOLDS: Readonly<PredictionThresholds> = Object.freeze({ minEvents: 10, minContributors: 5 });

/** How large a set of events is: the two numbers the thresholds look at. */
export interface GroupSize {
  events: number;
  contributors: number;
}

/** True when `size` has at least the minimum events and distinct instances. */
export function meetsThresholds(size: GroupSize, thresholds: PredictionThresholds): boolean {
  return size.events >= thresholds.minEvents && size.contributors >= thresholds.minContributors;
}

/**
 * The remainder R(G) of a group: its events that lie in none of `qualifyingChildren` (the
 * level k-1 groups under G that meet the thresholds). Contributors of R are the instances with
 * more events in G than in those children together. `instanceCounts` maps a group key to each
 * instance's event count in it; a group it lacks counts as having no instances, which can only
 * shrink R's contributors (the safe side).
 */
export function remainderOf(
  group: GroupSummary,
  qualifyingChildren: readonly GroupSummary[],
  instanceCounts: ReadonlyMap<string, ReadonlyMap<string, number>>,
): GroupSize {
  // No child answers: the remainder is G itself, and G's own counts say how large it is.
  if (qualifyingChildren.length === 0) return { events: group.events, contributors: group.contributors };
  const childEvents = qualifyingChildren.reduce((sum, child) => sum + child.events, 0);
  const events = Math.max(0, group.events - childEvents);
  if (events === 0) return { events: 0, contributors: 0 };
  let contributors = 0;
  for (const [instance, count] of instanceCounts.get(group.groupKey) ?? new Map<string, number>()) {
    const inChildren = qualifyingChildren.reduce((sum, child) => sum + (instanceCounts.get(child.groupKey)?.get(instance) ?? 0), 0);
    if (count > inChildren) contributors += 1;
  }
  return { events, contributors };
}

/**
 * Whether a group may answer (docs/predictions.md, "Privacy"): it meets the thresholds and, above
 * level 0, its remainder is empty or meets them too, so that subtracting the answered children
 * from it never isolates a smaller set of events than the minimums allow.
 */
export function isAnswerable(
  group: GroupSummary,
  children: readonly GroupSummary[],
  instanceCounts: ReadonlyMap<string, ReadonlyMap<string, number>>,
  thresholds: PredictionThresholds,
): boolean {
  if (!meetsThresholds(group, thresholds)) return false;
  if (group.level === 0) return true;
  const qualifying = children.filter((child) => meetsThresholds(child, thresholds));
  const remainder = remainderOf(group, qualifying, instanceCounts);
  return remainder.events === 0 || meetsThresholds(remainder, thresholds);
}
