import type { TaskCompletionEvent } from "@mosaicstack/telemetry-protocol";
import type { AggregateSums } from "./instance-aggregate.js";
import { GROUP_LEVELS, groupKey } from "./group-key.js";
import { compareKeys } from "./compare-keys.js";
import { foldRollups, mergeInstances, type AllInstancesDelta, type RollupDelta } from "./rollup-fold.js";
import { SKETCH_METRICS, sketchValue, type SketchMetric } from "./sketch-metrics.js";
import { sketchBin } from "./sketch-mapping.js";

/**
 * The accepted events of one storage transaction folded in memory into every row change an engine
 * must write: per (group, instance) aggregates with their sketch bins, per-instance usage, usage
 * rollups and their all-instances sums. Each row comes once per transaction however many events
 * touch it, and every list is sorted by its row's key: engines upsert in that order, so concurrent
 * transactions take row locks in the same order and cannot deadlock. Engines only write these
 * rows; no engine keys, bins or sums an event itself. The same fold backfills the aggregates of
 * stored events (storage/instance-aggregates-backfill.ts), so a migrated database holds exactly
 * what ingest would have built.
 */

/** Events one ingest call stored (not duplicates): who sent them and when they arrived. */
export interface AcceptedBatch {
  instanceId: string;
  /** Server receive time, epoch ms. */
  receivedMs: number;
  events: readonly TaskCompletionEvent[];
}

/**
 * The additive change to one (group, instance) aggregate: what that instance's events in this
 * transaction add to its row in that group.
 */
export interface InstanceAggregateDelta extends AggregateSums {
  groupKey: string;
  /** The latest receive time among these events (epoch ms): the row keeps the greater. */
  lastUpdatedMs: number;
  /** Per metric, in SKETCH_METRICS order: sketch bin (sketch-mapping.ts) to the events it gains. */
  bins: Map<number, number>[];
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
  /** Sorted by (groupKey, instanceId). */
  instanceAggregates: InstanceAggregateDelta[];
  usage: UsageDelta[];
  rollups: RollupDelta[];
  /** The rollups summed across instances, sorted by (hour, dimensions). */
  allInstancesRollups: AllInstancesDelta[];
}

/**
 * The events of one (provider, model, task_type, complexity) tuple, summed per instance once per
 * event. Each of the tuple's four groups gains the same sums and bins, so they are added to the
 * four only once per fold (fanOut): per event the fold does one group's work, not four.
 */
interface TupleFold {
  /** The tuple's four group keys, level 0 first. */
  keys: string[];
  /** Per instance, its events' sums and bins (groupKey unset). */
  instances: Map<string, InstanceAggregateDelta>;
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
      const created: TupleFold = { keys: GROUP_LEVELS.map((level) => groupKey(event, level)), instances: new Map() };
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

/** An empty delta of (groupKey, instanceId), stamped with a receive time. */
export function emptyInstanceDelta(groupKey: string, instanceId: string, receivedMs: number): InstanceAggregateDelta {
  return {
    groupKey,
    instanceId,
    events: 0,
    sumEstimatedInputTokens: 0,
    sumActualInputTokens: 0,
    sumEstimatedOutputTokens: 0,
    sumActualOutputTokens: 0,
    gatePassed: 0,
    successes: 0,
    lastUpdatedMs: receivedMs,
    bins: SKETCH_METRICS.map(() => new Map<number, number>()),
  };
}

/**
 * Folds one transaction's accepted events (of any instances) into the rows they change. Bins are
 * kept in maps keyed by the bin number, so no per-bin key is built (a JSON key per (group,
 * metric, bin) cost ten times the rest of the fold).
 */
export function foldAccepted(batches: readonly AcceptedBatch[]): RowChanges {
  const usage = new Map<string, UsageDelta>();
  for (const { instanceId, receivedMs, events } of batches) {
    if (events.length === 0) continue;
    const used = usage.get(instanceId);
    if (!used) usage.set(instanceId, { instanceId, events: events.length, firstMs: receivedMs, lastMs: receivedMs });
    else {
      used.events += events.length;
      if (receivedMs < used.firstMs) used.firstMs = receivedMs;
      if (receivedMs > used.lastMs) used.lastMs = receivedMs;
    }
  }
  const rollups = foldRollups(batches);
  return {
    instanceAggregates: foldInstanceAggregates(batches),
    usage: [...usage.values()].sort((a, b) => compareKeys(a.instanceId, b.instanceId)),
    rollups,
    allInstancesRollups: mergeInstances(rollups),
  };
}

/** The (group, instance) aggregate changes of `batches` alone, sorted by (groupKey, instanceId): what ingest and the backfill write. */
export function foldInstanceAggregates(batches: readonly AcceptedBatch[]): InstanceAggregateDelta[] {
  const tuples = new TupleTable();
  for (const { instanceId, receivedMs, events } of batches) {
    let lastTuple: TupleFold | null = null;
    let into: InstanceAggregateDelta | null = null;
    for (const event of events) {
      const tuple = tuples.of(event);
      if (tuple !== lastTuple) {
        lastTuple = tuple;
        into = getOrCreate(tuple.instances, instanceId, () => emptyInstanceDelta("", instanceId, receivedMs));
      }
      addEvent(into as InstanceAggregateDelta, event, receivedMs);
    }
  }
  return fanOut(tuples.tuples);
}

/** Adds each tuple's per-instance sums and bins to its four groups; sorted by (groupKey, instanceId). */
function fanOut(tuples: readonly TupleFold[]): InstanceAggregateDelta[] {
  const groups = new Map<string, Map<string, InstanceAggregateDelta>>();
  for (const tuple of tuples) {
    tuple.keys.forEach((key, level) => {
      const instances = getOrCreate(groups, key, () => new Map<string, InstanceAggregateDelta>());
      for (const [instanceId, from] of tuple.instances) {
        const into = instances.get(instanceId);
        // A level-0 group holds one tuple only, so it takes the tuple's delta itself (seen first,
        // before any other level copies from it); the shared levels get copies to add into.
        if (into === undefined) instances.set(instanceId, level === 0 ? Object.assign(from, { groupKey: key }) : { ...from, groupKey: key, bins: from.bins.map((bins) => new Map(bins)) });
        else addDelta(into, from);
      }
    });
  }
  const rows: InstanceAggregateDelta[] = [];
  for (const key of [...groups.keys()].sort(compareKeys)) {
    const instances = groups.get(key) as Map<string, InstanceAggregateDelta>;
    if (instances.size === 1) rows.push(...instances.values());
    else rows.push(...[...instances.values()].sort((a, b) => compareKeys(a.instanceId, b.instanceId)));
  }
  return rows;
}

/** Adds `from` (another tuple's share of the same (group, instance)) into `into`. */
export function addDelta(into: InstanceAggregateDelta, from: InstanceAggregateDelta): void {
  into.events += from.events;
  into.sumEstimatedInputTokens += from.sumEstimatedInputTokens;
  into.sumActualInputTokens += from.sumActualInputTokens;
  into.sumEstimatedOutputTokens += from.sumEstimatedOutputTokens;
  into.sumActualOutputTokens += from.sumActualOutputTokens;
  into.gatePassed += from.gatePassed;
  into.successes += from.successes;
  if (from.lastUpdatedMs > into.lastUpdatedMs) into.lastUpdatedMs = from.lastUpdatedMs;
  for (let m = 0; m < SKETCH_METRICS.length; m++) {
    const target = into.bins[m] as Map<number, number>;
    for (const [bin, count] of from.bins[m] as Map<number, number>) target.set(bin, (target.get(bin) ?? 0) + count);
  }
}

function addEvent(delta: InstanceAggregateDelta, event: TaskCompletionEvent, receivedMs: number): void {
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
  for (let m = 0; m < SKETCH_METRICS.length; m++) {
    const bins = delta.bins[m] as Map<number, number>;
    const bin = sketchBin(sketchValue(event, SKETCH_METRICS[m] as SketchMetric));
    bins.set(bin, (bins.get(bin) ?? 0) + 1);
  }
}
