import type { TaskCompletionEvent } from "@mosaicstack/telemetry-protocol";
import { GROUP_LEVELS, groupKey, parentGroupKey, type GroupLevel } from "../predictions/group-key.js";
import { sketchBin } from "../predictions/sketch-mapping.js";
import { SKETCH_METRICS, type SketchMetric, type UsageSums } from "./storage.js";
import { emptyUsageSums, hasEstimate, hourOf, ratioBucket, rollupModel } from "./usage-rollup.js";

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

/** One level's group of an event: its key, its parent's key and the level. */
interface LevelKeys {
  groupKey: string;
  parentKey: string | null;
  level: GroupLevel;
}

/**
 * The four groups of each distinct (provider, model, task_type, complexity), computed once per
 * batch: building a group key is a JSON.stringify, and a batch mostly repeats a few tuples.
 * Nested maps, not a joined string, because a dimension may contain any character.
 */
class GroupKeysCache {
  readonly #byProvider = new Map<string, Map<string, Map<string, Map<string, LevelKeys[]>>>>();

  of(event: TaskCompletionEvent): LevelKeys[] {
    const byModel = getOrCreate(this.#byProvider, event.provider, () => new Map());
    const byTask = getOrCreate(byModel, event.model, () => new Map());
    const byComplexity = getOrCreate(byTask, event.task_type, () => new Map());
    return getOrCreate(byComplexity, event.complexity, () =>
      GROUP_LEVELS.map((level) => ({ groupKey: groupKey(event, level), parentKey: parentGroupKey(event, level), level })),
    );
  }
}

function getOrCreate<K, V>(map: Map<K, V>, key: K, create: () => V): V {
  let value = map.get(key);
  if (value === undefined) map.set(key, (value = create()));
  return value;
}

/** A group being folded: its delta and, per metric (SKETCH_METRICS order), bin index to delta. */
interface FoldingGroup {
  delta: GroupDelta;
  bins: Map<number, BinDelta>[];
}

/** SKETCH_METRICS indexes in metric-name order: the order bins are sorted by. */
const METRIC_INDEXES_BY_NAME = SKETCH_METRICS.map((metric, index) => ({ metric, index }))
  .sort((a, b) => compareKeys(a.metric, b.metric))
  .map(({ index }) => index);

/**
 * Folds the accepted events of one instance's batch into sorted group and bin deltas. Bins are
 * kept per group and metric in maps keyed by the bin number, so no per-bin key is built (a JSON
 * key per (group, metric, bin) cost ten times the rest of the fold).
 */
export function foldBatch(events: readonly TaskCompletionEvent[]): BatchFold {
  const keys = new GroupKeysCache();
  const folding = new Map<string, FoldingGroup>();
  const eventBins: number[] = new Array<number>(SKETCH_METRICS.length);
  for (const event of events) {
    for (let m = 0; m < SKETCH_METRICS.length; m++) eventBins[m] = sketchBin(sketchValue(event, SKETCH_METRICS[m] as SketchMetric));
    for (const { groupKey: key, parentKey, level } of keys.of(event)) {
      let group = folding.get(key);
      if (!group) {
        group = {
          delta: {
            groupKey: key,
            level,
            parentKey,
            events: 0,
            sumEstimatedInputTokens: 0,
            sumActualInputTokens: 0,
            sumEstimatedOutputTokens: 0,
            sumActualOutputTokens: 0,
            gatePassed: 0,
            successes: 0,
          },
          bins: SKETCH_METRICS.map(() => new Map<number, BinDelta>()),
        };
        folding.set(key, group);
      }
      const delta = group.delta;
      delta.events += 1;
      // An estimate of 0 means "no estimate" (api-v1): such an event's actual tokens stay out of
      // the sums behind the correction factors, or they would read as estimates that ran low.
      // One rule here, before either engine upserts, so SQLite and PostgreSQL agree.
      if (event.estimated_input_tokens > 0) {
        delta.sumEstimatedInputTokens += event.estimated_input_tokens;
        delta.sumActualInputTokens += event.actual_input_tokens;
      }
      if (event.estimated_output_tokens > 0) {
        delta.sumEstimatedOutputTokens += event.estimated_output_tokens;
        delta.sumActualOutputTokens += event.actual_output_tokens;
      }
      if (event.quality_gate_passed) delta.gatePassed += 1;
      if (event.outcome === "success") delta.successes += 1;
      for (let m = 0; m < SKETCH_METRICS.length; m++) {
        const bin = eventBins[m] as number;
        const byBin = group.bins[m] as Map<number, BinDelta>;
        const existing = byBin.get(bin);
        if (existing) existing.count += 1;
        else byBin.set(bin, { groupKey: key, metric: SKETCH_METRICS[m] as SketchMetric, bin, count: 1 });
      }
    }
  }
  const sorted = [...folding.values()].sort((a, b) => compareKeys(a.delta.groupKey, b.delta.groupKey));
  const bins: BinDelta[] = [];
  for (const group of sorted) {
    for (const m of METRIC_INDEXES_BY_NAME) {
      const byBin = group.bins[m] as Map<number, BinDelta>;
      for (const bin of [...byBin.values()].sort((a, b) => a.bin - b.bin)) bins.push(bin);
    }
  }
  return { groups: sorted.map((group) => group.delta), bins };
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

/**
 * The additive change to one usage rollup row: one instance's events of one UTC hour (by the
 * event's own timestamp) with the same six dimensions. Sums are of actual values; the
 * `estimated*` fields cover only the events with an estimate (usage-rollup.ts), so a correction
 * factor is estimatedActual* ÷ estimated* over the same events.
 */
export interface RollupDelta extends UsageSums {
  instanceId: string;
  /** Epoch ms of the hour's start. */
  hourMs: number;
  provider: string;
  model: string;
  task_type: string;
  complexity: string;
  harness: string;
  outcome: string;
}

/** An accepted event and the instance that sent it. */
export interface InstanceEvent {
  instanceId: string;
  event: TaskCompletionEvent;
}

/**
 * Folds accepted events (of any instances) into rollup deltas, one per (instance, hour,
 * dimensions), sorted by that key so engines upsert them in one order.
 */
/** Maps nested by key part; the last level's values are rows. */
type NestedRows = Map<string, NestedRows | RollupDelta>;

export function foldRollups(items: Iterable<InstanceEvent>): RollupDelta[] {
  // Rows found through nested maps by instance, the "YYYY-MM-DDTHH" prefix of the timestamp (its
  // UTC hour: the validator allows only Z or +00:00) and each dimension: a joined key string per
  // event, or a Date.parse per event, cost more than the rest of the fold; a batch holds few
  // distinct hours, each parsed once.
  const root: NestedRows = new Map();
  const hours = new Map<string, number>();
  const rows: RollupDelta[] = [];
  for (const { instanceId, event } of items) {
    const prefix = event.timestamp.slice(0, 13);
    const model = rollupModel(event.model);
    let level: NestedRows = root;
    for (const part of [instanceId, prefix, event.provider, model, event.task_type, event.complexity, event.harness]) {
      let next = level.get(part) as NestedRows | undefined;
      if (!next) level.set(part, (next = new Map()));
      level = next;
    }
    let row = level.get(event.outcome) as RollupDelta | undefined;
    if (!row) {
      let hourMs = hours.get(prefix);
      if (hourMs === undefined) hours.set(prefix, (hourMs = hourOf(event.timestamp)));
      row = {
        instanceId,
        hourMs,
        provider: event.provider,
        model,
        task_type: event.task_type,
        complexity: event.complexity,
        harness: event.harness,
        outcome: event.outcome,
        ...emptyUsageSums(),
      };
      level.set(event.outcome, row);
      rows.push(row);
    }
    row.events += 1;
    row.inputTokens += event.actual_input_tokens;
    row.outputTokens += event.actual_output_tokens;
    row.costUsdMicros += event.actual_cost_usd_micros;
    row.durationMs += event.task_duration_ms;
    if (event.quality_gate_passed) row.gatePassed += 1;
    if (event.outcome === "success") row.successes += 1;
    if (hasEstimate(event)) {
      row.estimatedEvents += 1;
      row.estimatedInputTokens += event.estimated_input_tokens;
      row.estimatedOutputTokens += event.estimated_output_tokens;
      row.estimatedCostUsdMicros += event.estimated_cost_usd_micros;
      row.estimatedActualInputTokens += event.actual_input_tokens;
      row.estimatedActualOutputTokens += event.actual_output_tokens;
      row.estimatedActualCostUsdMicros += event.actual_cost_usd_micros;
      (row.ratioBuckets[ratioBucket(event)] as number) += 1;
    }
  }
  return rows.sort(compareRollups);
}

function compareRollups(a: RollupDelta, b: RollupDelta): number {
  return (
    compareKeys(a.instanceId, b.instanceId) ||
    a.hourMs - b.hourMs ||
    compareKeys(a.provider, b.provider) ||
    compareKeys(a.model, b.model) ||
    compareKeys(a.task_type, b.task_type) ||
    compareKeys(a.complexity, b.complexity) ||
    compareKeys(a.harness, b.harness) ||
    compareKeys(a.outcome, b.outcome)
  );
}
