import type { TaskCompletionEvent } from "@mosaicstack/telemetry-protocol";
import { GROUP_LEVELS, groupKey, parentGroupKey, type GroupLevel } from "../predictions/group-key.js";
import { sketchBin } from "../predictions/sketch-mapping.js";
import { SKETCH_METRICS, type SketchMetric } from "./storage.js";

/**
 * A batch of accepted events folded in memory into the additive deltas of their groups, so each
 * engine upserts every (group), (group, metric, bin) and (group, instance) row once per batch
 * instead of once per event. Rows come sorted by key: engines upsert them in that order so that
 * concurrent transactions take row locks in the same order and cannot deadlock.
 */

/** The additive change to one group's summary row. */
export interface GroupDelta {
  groupKey: string;
  level: GroupLevel;
  parentKey: string | null;
  events: number;
  sumEstimatedInputTokens: number;
  sumActualInputTokens: number;
  sumEstimatedOutputTokens: number;
  sumActualOutputTokens: number;
  gatePassed: number;
  successes: number;
}

/** The additive change to one sketch bin's count. */
export interface BinDelta {
  groupKey: string;
  metric: SketchMetric;
  bin: number;
  count: number;
}

export interface BatchFold {
  /** Sorted by groupKey. Each group's `events` is also the calling instance's count in it. */
  groups: GroupDelta[];
  /** Sorted by (groupKey, metric, bin). */
  bins: BinDelta[];
}

/** The value an event adds to each sketch: what the task actually took. */
export function sketchValue(event: TaskCompletionEvent, metric: SketchMetric): number {
  switch (metric) {
    case "input_tokens":
      return event.actual_input_tokens;
    case "output_tokens":
      return event.actual_output_tokens;
    case "cost_usd_micros":
      return event.actual_cost_usd_micros;
    case "duration_ms":
      return event.task_duration_ms;
  }
}

/** Plain string order (UTF-16 code units), identical in every process. */
export function compareKeys(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Folds the accepted events of one instance's batch into sorted group and bin deltas. */
export function foldBatch(events: readonly TaskCompletionEvent[]): BatchFold {
  const groups = new Map<string, GroupDelta>();
  const bins = new Map<string, BinDelta>();
  for (const event of events) {
    for (const level of GROUP_LEVELS) {
      const key = groupKey(event, level);
      let group = groups.get(key);
      if (!group) {
        group = {
          groupKey: key,
          level,
          parentKey: parentGroupKey(event, level),
          events: 0,
          sumEstimatedInputTokens: 0,
          sumActualInputTokens: 0,
          sumEstimatedOutputTokens: 0,
          sumActualOutputTokens: 0,
          gatePassed: 0,
          successes: 0,
        };
        groups.set(key, group);
      }
      group.events += 1;
      group.sumEstimatedInputTokens += event.estimated_input_tokens;
      group.sumActualInputTokens += event.actual_input_tokens;
      group.sumEstimatedOutputTokens += event.estimated_output_tokens;
      group.sumActualOutputTokens += event.actual_output_tokens;
      if (event.quality_gate_passed) group.gatePassed += 1;
      if (event.outcome === "success") group.successes += 1;
      for (const metric of SKETCH_METRICS) {
        const bin = sketchBin(sketchValue(event, metric));
        // JSON of the tuple: a group key may contain any character, so no separator is safe.
        const binKey = JSON.stringify([key, metric, bin]);
        const existing = bins.get(binKey);
        if (existing) existing.count += 1;
        else bins.set(binKey, { groupKey: key, metric, bin, count: 1 });
      }
    }
  }
  return {
    groups: [...groups.values()].sort((a, b) => compareKeys(a.groupKey, b.groupKey)),
    bins: [...bins.values()].sort(
      (a, b) => compareKeys(a.groupKey, b.groupKey) || compareKeys(a.metric, b.metric) || a.bin - b.bin,
    ),
  };
}

/** First copy of each event_id wins; later copies in the same call are duplicates. */
export function firstOccurrences(events: readonly TaskCompletionEvent[]): Set<number> {
  const seen = new Set<string>();
  const first = new Set<number>();
  events.forEach((event, index) => {
    if (!seen.has(event.event_id)) {
      seen.add(event.event_id);
      first.add(index);
    }
  });
  return first;
}
