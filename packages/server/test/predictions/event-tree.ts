import type { Complexity, Provider, TaskType } from "@mosaicstack/telemetry-protocol";
import { GROUP_LEVELS, groupKey, parentGroupKey } from "../../src/aggregation/group-key.js";
import type { GroupTreeView } from "../../src/predictions/privacy-rule.js";
import type { GroupSummary } from "../../src/storage/storage.js";

/** One event as the privacy rule sees it: who sent it and where it falls. */
export interface TreeEvent {
  instance: string;
  provider: Provider;
  model: string;
  task_type: TaskType;
  complexity: Complexity;
}

/**
 * Folds events into group summaries and per-instance counts the same additive way storage
 * does. It stands in for storage only in the privacy rule's logic tests (no bins, no sums);
 * the predictor itself is tested through the real SQLite and PostgreSQL storage.
 */
export class EventTree implements GroupTreeView {
  readonly groups = new Map<string, GroupSummary>();
  /** Group key -> the events in it, for brute-force checks. */
  readonly members = new Map<string, TreeEvent[]>();
  readonly #counts = new Map<string, Map<string, number>>();

  constructor(events: readonly TreeEvent[]) {
    for (const event of events) {
      for (const level of GROUP_LEVELS) {
        const key = groupKey(event, level);
        const group = this.groups.get(key) ?? emptySummary(key, level, parentGroupKey(event, level));
        const counts = this.#counts.get(key) ?? new Map<string, number>();
        group.events += 1;
        counts.set(event.instance, (counts.get(event.instance) ?? 0) + 1);
        group.contributors = counts.size;
        this.groups.set(key, group);
        this.#counts.set(key, counts);
        this.members.set(key, [...(this.members.get(key) ?? []), event]);
      }
    }
  }

  group(key: string): GroupSummary {
    const group = this.groups.get(key);
    if (group === undefined) throw new Error(`no group ${key}`);
    return group;
  }

  children(key: string): readonly GroupSummary[] {
    return [...this.groups.values()].filter((group) => group.parentKey === key);
  }

  instanceCounts(key: string): ReadonlyMap<string, number> | undefined {
    return this.#counts.get(key);
  }
}

function emptySummary(groupKey: string, level: GroupSummary["level"], parentKey: string | null): GroupSummary {
  return {
    groupKey,
    level,
    parentKey,
    events: 0,
    contributors: 0,
    sumEstimatedInputTokens: 0,
    sumActualInputTokens: 0,
    sumEstimatedOutputTokens: 0,
    sumActualOutputTokens: 0,
    gatePassed: 0,
    successes: 0,
    lastUpdated: null,
  };
}

/** `count` events of each of `instances` in one level-0 group. */
export function eventsIn(
  dims: Omit<TreeEvent, "instance">,
  instances: readonly string[],
  count = 1,
): TreeEvent[] {
  return instances.flatMap((instance) => Array.from({ length: count }, () => ({ ...dims, instance })));
}
