import type { TaskCompletionEvent } from "@mosaicstack/telemetry-protocol";
import { GROUP_LEVELS, groupKey, parentGroupKey, type GroupLevel } from "./group-key.js";
import { compareKeys } from "./compare-keys.js";
import { foldRollups, type RollupDelta } from "./rollup-fold.js";
import { SKETCH_METRICS, sketchValue, type SketchMetric } from "./sketch-metrics.js";
import { sketchBin } from "./sketch-mapping.js";

/**
 * The accepted events of one storage transaction folded in memory into every row change an engine
 * must write: group summaries, sketch bins, (group, instance) pairs, per-instance usage and usage
 * rollups. Each row comes once per transaction however many events touch it, and every list is
 * sorted by its row's key: engines upsert in that order, so concurrent transactions take row
 * locks in the same order and cannot deadlock. Engines only write these rows; no engine keys,
 * bins or sums an event itself.
 */

/** An event the engine has just stored (not a duplicate), who sent it and when it arrived. */
export interface AcceptedEvent {
  instanceId: string;
  event: TaskCompletionEvent;
  /** Server receive time, epoch ms. */
  receivedMs: number;
}

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
  /** The latest receive time among the group's events here (epoch ms): the row keeps the greater. */
  lastUpdatedMs: number;
}

/** The additive change to one sketch bin's count. */
export interface BinDelta {
  groupKey: string;
  metric: SketchMetric;
  bin: number;
  count: number;
}

/**
 * The events one instance adds to one group. The engine learns from its upsert whether the pair
 * is new, and a new pair adds one contributor to the group's row (only the database knows).
 */
export interface PairDelta {
  groupKey: string;
  instanceId: string;
  events: number;
}

/** The change to one instance's usage row: events counted, first and last receive time (epoch ms). */
export interface UsageDelta {
  instanceId: string;
  events: number;
  firstMs: number;
  lastMs: number;
}

/** Every row change of one transaction's accepted events; each list sorted by its key. */
export interface RowChanges {
  groups: GroupDelta[];
  /** Sorted by (groupKey, metric, bin). */
  bins: BinDelta[];
  /** Sorted by (groupKey, instanceId). */
  pairs: PairDelta[];
  usage: UsageDelta[];
  rollups: RollupDelta[];
}

/** One level's group of an event: its key, its parent's key and the level. */
interface LevelKeys {
  groupKey: string;
  parentKey: string | null;
  level: GroupLevel;
}

/**
 * The four groups of each distinct (provider, model, task_type, complexity), computed once per
 * fold: building a group key is a JSON.stringify, and a batch mostly repeats a few tuples.
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

/** A group being folded: its delta, per metric (SKETCH_METRICS order) bin to delta, per instance its pair. */
interface FoldingGroup {
  delta: GroupDelta;
  bins: Map<number, BinDelta>[];
  pairs: Map<string, PairDelta>;
}

/** SKETCH_METRICS indexes in metric-name order: the order bins are sorted by. */
const METRIC_INDEXES_BY_NAME = SKETCH_METRICS.map((metric, index) => ({ metric, index }))
  .sort((a, b) => compareKeys(a.metric, b.metric))
  .map(({ index }) => index);

function newGroup(keys: LevelKeys, receivedMs: number): FoldingGroup {
  return {
    delta: {
      groupKey: keys.groupKey,
      level: keys.level,
      parentKey: keys.parentKey,
      events: 0,
      sumEstimatedInputTokens: 0,
      sumActualInputTokens: 0,
      sumEstimatedOutputTokens: 0,
      sumActualOutputTokens: 0,
      gatePassed: 0,
      successes: 0,
      lastUpdatedMs: receivedMs,
    },
    bins: SKETCH_METRICS.map(() => new Map<number, BinDelta>()),
    pairs: new Map(),
  };
}

/**
 * Folds one transaction's accepted events (of any instances) into the rows they change. Bins are
 * kept per group and metric in maps keyed by the bin number, so no per-bin key is built (a JSON
 * key per (group, metric, bin) cost ten times the rest of the fold).
 */
export function foldAccepted(accepted: readonly AcceptedEvent[]): RowChanges {
  const keys = new GroupKeysCache();
  const folding = new Map<string, FoldingGroup>();
  const usage = new Map<string, UsageDelta>();
  const eventBins: number[] = new Array<number>(SKETCH_METRICS.length);
  for (const { instanceId, event, receivedMs } of accepted) {
    for (let m = 0; m < SKETCH_METRICS.length; m++) eventBins[m] = sketchBin(sketchValue(event, SKETCH_METRICS[m] as SketchMetric));
    for (const levelKeys of keys.of(event)) {
      let group = folding.get(levelKeys.groupKey);
      if (!group) folding.set(levelKeys.groupKey, (group = newGroup(levelKeys, receivedMs)));
      addToGroup(group.delta, event, receivedMs);
      const pair = group.pairs.get(instanceId);
      if (pair) pair.events += 1;
      else group.pairs.set(instanceId, { groupKey: levelKeys.groupKey, instanceId, events: 1 });
      for (let m = 0; m < SKETCH_METRICS.length; m++) {
        const bin = eventBins[m] as number;
        const byBin = group.bins[m] as Map<number, BinDelta>;
        const existing = byBin.get(bin);
        if (existing) existing.count += 1;
        else byBin.set(bin, { groupKey: levelKeys.groupKey, metric: SKETCH_METRICS[m] as SketchMetric, bin, count: 1 });
      }
    }
    const used = usage.get(instanceId);
    if (!used) usage.set(instanceId, { instanceId, events: 1, firstMs: receivedMs, lastMs: receivedMs });
    else {
      used.events += 1;
      if (receivedMs < used.firstMs) used.firstMs = receivedMs;
      if (receivedMs > used.lastMs) used.lastMs = receivedMs;
    }
  }
  const sorted = [...folding.values()].sort((a, b) => compareKeys(a.delta.groupKey, b.delta.groupKey));
  const bins: BinDelta[] = [];
  const pairs: PairDelta[] = [];
  for (const group of sorted) {
    for (const m of METRIC_INDEXES_BY_NAME) {
      const byBin = group.bins[m] as Map<number, BinDelta>;
      for (const bin of [...byBin.values()].sort((a, b) => a.bin - b.bin)) bins.push(bin);
    }
    if (group.pairs.size === 1) pairs.push(...group.pairs.values());
    else pairs.push(...[...group.pairs.values()].sort((a, b) => compareKeys(a.instanceId, b.instanceId)));
  }
  return {
    groups: sorted.map((group) => group.delta),
    bins,
    pairs,
    usage: [...usage.values()].sort((a, b) => compareKeys(a.instanceId, b.instanceId)),
    rollups: foldRollups(accepted),
  };
}

function addToGroup(delta: GroupDelta, event: TaskCompletionEvent, receivedMs: number): void {
  delta.events += 1;
  // An estimate of 0 means "no estimate" (api-v1): such an event's actual tokens stay out of
  // the sums behind the correction factors, or they would read as estimates that ran low.
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
  if (receivedMs > delta.lastUpdatedMs) delta.lastUpdatedMs = receivedMs;
}
