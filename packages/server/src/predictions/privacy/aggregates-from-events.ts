import type { TaskCompletionEvent } from "@mosaicstack/telemetry-protocol";
import { SKETCH_METRICS, sketchValue, type SketchMetric } from "../../aggregation/sketch-metrics.js";
import { groupKeysOfEvent } from "../../aggregation/group-key.js";
import { sketchBin } from "../../aggregation/sketch-mapping.js";
import type { PredictionEventRow } from "../../storage/prediction-store.js";
import type { InstanceAggregate } from "./instance-aggregate.js";

/**
 * Folds stored events into per-(group, instance) aggregates for the groups in `groupKeys` (all
 * the groups the events fall in when omitted). One rule for both engines: the engines only read
 * rows, this builds what a snapshot weighs. An estimate of 0 means "no estimate": its event's
 * actual tokens stay out of the sums behind the correction factors.
 */
export class InstanceAggregateFolder {
  readonly #wanted: ReadonlySet<string> | null;
  readonly #groups = new Map<string, Map<string, InstanceAggregate>>();
  /** The wanted group maps of each (provider, model, task_type, complexity), built once: a key is a JSON.stringify. */
  readonly #byTuple = new Map<string, Map<string, InstanceAggregate>[]>();
  /** The current event's bin per metric, reused from event to event. */
  readonly #bins: number[] = new Array<number>(SKETCH_METRICS.length).fill(0);

  constructor(groupKeys?: Iterable<string>) {
    this.#wanted = groupKeys === undefined ? null : new Set(groupKeys);
  }

  add(row: PredictionEventRow): void {
    const event = row.payload as unknown as TaskCompletionEvent;
    const bins = this.#bins;
    for (let m = 0; m < SKETCH_METRICS.length; m++) bins[m] = sketchBin(sketchValue(event, SKETCH_METRICS[m] as SketchMetric));
    const receivedAt = row.receivedAt.getTime();
    for (const instances of this.#groupsOf(event)) {
      let aggregate = instances.get(row.instanceId);
      if (aggregate === undefined) instances.set(row.instanceId, (aggregate = emptyAggregate(row.instanceId)));
      aggregate.events += 1;
      if (event.estimated_input_tokens > 0) {
        aggregate.sumEstimatedInputTokens += event.estimated_input_tokens;
        aggregate.sumActualInputTokens += event.actual_input_tokens;
      }
      if (event.estimated_output_tokens > 0) {
        aggregate.sumEstimatedOutputTokens += event.estimated_output_tokens;
        aggregate.sumActualOutputTokens += event.actual_output_tokens;
      }
      if (event.quality_gate_passed) aggregate.gatePassed += 1;
      if (event.outcome === "success") aggregate.successes += 1;
      if (aggregate.lastUpdated === null || receivedAt > aggregate.lastUpdated.getTime()) aggregate.lastUpdated = row.receivedAt;
      for (let m = 0; m < SKETCH_METRICS.length; m++) {
        const map = aggregate.bins[SKETCH_METRICS[m] as SketchMetric] as Map<number, number>;
        const bin = bins[m] as number;
        map.set(bin, (map.get(bin) ?? 0) + 1);
      }
    }
  }

  #groupsOf(event: TaskCompletionEvent): Map<string, InstanceAggregate>[] {
    // A separator cannot be trusted inside free-text dimensions, so the tuple's key is JSON too,
    // but one per event instead of four.
    const tuple = JSON.stringify([event.provider, event.model, event.task_type, event.complexity]);
    let groups = this.#byTuple.get(tuple);
    if (groups === undefined) {
      groups = [];
      for (const key of groupKeysOfEvent(event)) {
        if (this.#wanted !== null && !this.#wanted.has(key)) continue;
        let instances = this.#groups.get(key);
        if (instances === undefined) this.#groups.set(key, (instances = new Map()));
        groups.push(instances);
      }
      this.#byTuple.set(tuple, groups);
    }
    return groups;
  }

  /** Per group, its instances' aggregates. */
  result(): Map<string, InstanceAggregate[]> {
    return new Map([...this.#groups].map(([key, instances]) => [key, [...instances.values()]]));
  }
}

function emptyAggregate(instanceId: string): InstanceAggregate {
  return {
    instanceId,
    events: 0,
    sumEstimatedInputTokens: 0,
    sumActualInputTokens: 0,
    sumEstimatedOutputTokens: 0,
    sumActualOutputTokens: 0,
    gatePassed: 0,
    successes: 0,
    lastUpdated: null,
    bins: Object.fromEntries(SKETCH_METRICS.map((metric) => [metric, new Map<number, number>()])) as Record<SketchMetric, Map<number, number>>,
  };
}
