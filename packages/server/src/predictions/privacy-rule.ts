import type { GroupSummary } from "../storage/storage.js";

/** The minimums every answered group, and every set derivable from answers, must meet. */
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

/** What the rule reads of the group tree; the predictor fills it from storage. */
export interface GroupTreeView {
  /** Every child (level k-1 group) of `key`. Only asked for groups that meet the thresholds. */
  children(key: string): readonly GroupSummary[];
  /** Each instance's event count in `key`; only asked for keys `instanceCountKeysNeeded` named. */
  instanceCounts(key: string): ReadonlyMap<string, number> | undefined;
}

/**
 * The open part O(G) of a group: its events that lie in no answered group below it, i.e.
 * G minus its maximal answered descendants. `perInstance` is omitted when it was not needed
 * (O is empty, or O is all of G and G's own contributors say its size).
 */
export interface OpenPart {
  events: number;
  contributors: number;
  perInstance?: ReadonlyMap<string, number>;
}

export interface Verdict {
  answerable: boolean;
  open: OpenPart;
}

/** The children of `group` that meet the thresholds: only they (or groups inside them) can answer. */
export function qualifyingChildren(group: GroupSummary, view: GroupTreeView, thresholds: PredictionThresholds): GroupSummary[] {
  if (group.level === 0) return [];
  return view.children(group.groupKey).filter((child) => meetsThresholds(child, thresholds));
}

/**
 * The keys whose per-instance counts judging `group` needs: the group and its qualifying children,
 * when those children leave a remainder R(G) = G minus them that is neither empty nor all of G.
 */
export function instanceCountKeysNeeded(group: GroupSummary, view: GroupTreeView, thresholds: PredictionThresholds): string[] {
  if (!meetsThresholds(group, thresholds)) return [];
  const qualifying = qualifyingChildren(group, view, thresholds);
  if (qualifying.length === 0) return [];
  const childEvents = qualifying.reduce((sum, child) => sum + child.events, 0);
  return childEvents < group.events ? [group.groupKey, ...qualifying.map((child) => child.groupKey)] : [];
}

/**
 * Judges `group` (docs/predictions.md, "Privacy"): it may answer iff it meets the thresholds and
 * its open part O(G) is empty or meets them too, where
 *   O(G) = R(G) ∪ the open parts of its qualifying children that may not answer, and
 *   R(G) = G minus all its qualifying children.
 * Answered groups form a tree of nested sets, so any set an observer can build by adding and
 * subtracting answers is a union of open parts of answered groups: none is smaller than the
 * minimums. `memo` carries verdicts between calls of one request.
 */
export function judgeGroup(
  group: GroupSummary,
  view: GroupTreeView,
  thresholds: PredictionThresholds,
  memo: Map<string, Verdict>,
): Verdict {
  const known = memo.get(group.groupKey);
  if (known !== undefined) return known;
  const verdict = judge(group, view, thresholds, memo);
  memo.set(group.groupKey, verdict);
  return verdict;
}

function judge(group: GroupSummary, view: GroupTreeView, thresholds: PredictionThresholds, memo: Map<string, Verdict>): Verdict {
  const whole: OpenPart = { events: group.events, contributors: group.contributors };
  if (!meetsThresholds(group, thresholds)) return { answerable: false, open: whole };
  const qualifying = qualifyingChildren(group, view, thresholds);
  // No qualifying child: nothing below G answers, so O(G) = G, which meets the thresholds.
  if (qualifying.length === 0) return { answerable: true, open: whole };

  const childEvents = qualifying.reduce((sum, child) => sum + child.events, 0);
  const perInstance = new Map<string, number>();
  let events = Math.max(0, group.events - childEvents);
  if (events > 0) {
    // R(G) per instance: count in G minus counts in the qualifying children. A missing map
    // counts as no instances, which can only make R look smaller: the safe side.
    for (const [instance, count] of view.instanceCounts(group.groupKey) ?? new Map<string, number>()) {
      const inChildren = qualifying.reduce((sum, child) => sum + (view.instanceCounts(child.groupKey)?.get(instance) ?? 0), 0);
      if (count > inChildren) perInstance.set(instance, count - inChildren);
    }
  }
  for (const child of qualifying) {
    const verdict = judgeGroup(child, view, thresholds, memo);
    if (verdict.answerable) continue;
    // An unanswered child's open part is not covered by any answer below G: it stays in O(G).
    events += verdict.open.events;
    for (const [instance, count] of verdict.open.perInstance ?? new Map<string, number>()) {
      perInstance.set(instance, (perInstance.get(instance) ?? 0) + count);
    }
  }
  const open: OpenPart = { events, contributors: perInstance.size, perInstance };
  return { answerable: events === 0 || meetsThresholds(open, thresholds), open };
}
