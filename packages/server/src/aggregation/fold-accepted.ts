import type { TaskCompletionEvent } from "@mosaicstack/telemetry-protocol";
import { GROUP_LEVELS, groupKey, parentGroupKey, type GroupLevel } from "./group-key.js";
import { compareKeys } from "./compare-keys.js";
import { foldRollups, mergeInstances, type AllInstancesDelta, type RollupDelta } from "./rollup-fold.js";
import { SKETCH_METRICS, sketchValue, type SketchMetric } from "./sketch-metrics.js";
import { sketchBin } from "./sketch-mapping.js";

/**
 * The accepted events of one storage transaction folded in memory into every row change an engine
 * must write: group summaries, sketch bins, (group, instance) pairs, per-instance usage, usage
 * rollups and their all-instances sums. Each row comes once per transaction however many events touch it, and every list is
 * sorted by its row's key: engines upsert in that order, so concurrent transactions take row
 * locks in the same order and cannot deadlock. Engines only write these rows; no engine keys,
 * bins or sums an event itself.
 */

/** Events one ingest call stored (not duplicates): who sent them and when they arrived. */
export interface AcceptedBatch {
  instanceId: string;
  /** Server receive time, epoch ms. */
  receivedMs: number;
  events: readonly TaskCompletionEvent[];
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
  /** The rollups summed across instances, sorted by (hour, dimensions). */
  allInstancesRollups: AllInstancesDelta[];
}

/** One level's group of an event: its key, its parent's key and the level. */
interface LevelKeys {
  groupKey: string;
  parentKey: string | null;
  level: GroupLevel;
}

/**
 * The events of one (provider, model, task_type, complexity) tuple, summed once per event. Each of
 * the tuple's four groups gains the same sums, bins and pairs, so they are added to the four only
 * once per fold (fanOut): per event the fold does one group's work, not four.
 */
interface TupleFold {
  levels: LevelKeys[];
  sums: GroupDelta;
  /** Per metric (SKETCH_METRICS order), bin to count. */
  bins: Map<number, number>[];
  /** Per instance, its events. */
  pairs: Map<string, number>;
}

/**
 * The tuples of a fold, found through nested maps (a dimension may contain any character, so no
 * joined key), with the last tuple remembered: a batch mostly repeats a few tuples.
 */
class TupleTable {
  readonly tuples: TupleFold[] = [];
  readonly #byProvider = new Map<string, Map<string, Map<string, Map<string, TupleFold>>>>();
  #last: TupleFold | null = null;
  #lastEvent: TaskCompletionEvent | null = null;

  of(event: TaskCompletionEvent): TupleFold {
    const last = this.#lastEvent;
    if (
      last !== null &&
      last.provider === event.provider &&
      last.model === event.model &&
      last.task_type === event.task_type &&
      last.complexity === event.complexity
    ) {
      return this.#last as TupleFold;
    }
    const byModel = getOrCreate(this.#byProvider, event.provider, () => new Map());
    const byTask = getOrCreate(byModel, event.model, () => new Map());
    const byComplexity = getOrCreate(byTask, event.task_type, () => new Map());
    const tuple = getOrCreate(byComplexity, event.complexity, () => {
      const created: TupleFold = {
        levels: GROUP_LEVELS.map((level) => ({ groupKey: groupKey(event, level), parentKey: parentGroupKey(event, level), level })),
        sums: newDelta({ groupKey: "", parentKey: null, level: 0 }, 0),
        bins: SKETCH_METRICS.map(() => new Map<number, number>()),
        pairs: new Map(),
      };
      this.tuples.push(created);
      return created;
    });
    this.#last = tuple;
    this.#lastEvent = event;
    return tuple;
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

function newDelta(keys: LevelKeys, receivedMs: number): GroupDelta {
  return {
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
  };
}

/**
 * Folds one transaction's accepted events (of any instances) into the rows they change. Bins are
 * kept in maps keyed by the bin number, so no per-bin key is built (a JSON key per (group,
 * metric, bin) cost ten times the rest of the fold).
 */
export function foldAccepted(batches: readonly AcceptedBatch[]): RowChanges {
  const tuples = new TupleTable();
  const usage = new Map<string, UsageDelta>();
  for (const { instanceId, receivedMs, events } of batches) {
    if (events.length === 0) continue;
    for (const event of events) {
      const tuple = tuples.of(event);
      addToGroup(tuple.sums, event, receivedMs);
      tuple.pairs.set(instanceId, (tuple.pairs.get(instanceId) ?? 0) + 1);
      for (let m = 0; m < SKETCH_METRICS.length; m++) {
        const bin = sketchBin(sketchValue(event, SKETCH_METRICS[m] as SketchMetric));
        const byBin = tuple.bins[m] as Map<number, number>;
        byBin.set(bin, (byBin.get(bin) ?? 0) + 1);
      }
    }
    const used = usage.get(instanceId);
    if (!used) usage.set(instanceId, { instanceId, events: events.length, firstMs: receivedMs, lastMs: receivedMs });
    else {
      used.events += events.length;
      if (receivedMs < used.firstMs) used.firstMs = receivedMs;
      if (receivedMs > used.lastMs) used.lastMs = receivedMs;
    }
  }
  const sorted = [...fanOut(tuples.tuples).values()].sort((a, b) => compareKeys(a.delta.groupKey, b.delta.groupKey));
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
  const rollups = foldRollups(batches);
  return {
    groups: sorted.map((group) => group.delta),
    bins,
    pairs,
    usage: [...usage.values()].sort((a, b) => compareKeys(a.instanceId, b.instanceId)),
    rollups,
    allInstancesRollups: mergeInstances(rollups),
  };
}

/** Adds each tuple's sums, bins and pairs to its four groups. */
function fanOut(tuples: readonly TupleFold[]): Map<string, FoldingGroup> {
  const folding = new Map<string, FoldingGroup>();
  for (const tuple of tuples) {
    for (const keys of tuple.levels) {
      let group = folding.get(keys.groupKey);
      if (!group) {
        group = { delta: newDelta(keys, tuple.sums.lastUpdatedMs), bins: SKETCH_METRICS.map(() => new Map()), pairs: new Map() };
        folding.set(keys.groupKey, group);
      }
      addSums(group.delta, tuple.sums);
      for (let m = 0; m < SKETCH_METRICS.length; m++) {
        const into = group.bins[m] as Map<number, BinDelta>;
        for (const [bin, count] of tuple.bins[m] as Map<number, number>) {
          const existing = into.get(bin);
          if (existing) existing.count += count;
          else into.set(bin, { groupKey: keys.groupKey, metric: SKETCH_METRICS[m] as SketchMetric, bin, count });
        }
      }
      for (const [instanceId, events] of tuple.pairs) {
        const existing = group.pairs.get(instanceId);
        if (existing) existing.events += events;
        else group.pairs.set(instanceId, { groupKey: keys.groupKey, instanceId, events });
      }
    }
  }
  return folding;
}

function addSums(into: GroupDelta, from: GroupDelta): void {
  into.events += from.events;
  into.sumEstimatedInputTokens += from.sumEstimatedInputTokens;
  into.sumActualInputTokens += from.sumActualInputTokens;
  into.sumEstimatedOutputTokens += from.sumEstimatedOutputTokens;
  into.sumActualOutputTokens += from.sumActualOutputTokens;
  into.gatePassed += from.gatePassed;
  into.successes += from.successes;
  if (from.lastUpdatedMs > into.lastUpdatedMs) into.lastUpdatedMs = from.lastUpdatedMs;
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
