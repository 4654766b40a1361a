import type { TaskCompletionEvent } from "@mosaicstack/telemetry-protocol";
import { compareKeys } from "./compare-keys.js";
import { emptyUsageSums, hasEstimate, hourOf, ratioBucket, rollupModel, type UsageSums } from "./usage-rules.js";

/**
 * The additive change to one usage rollup row: one instance's events of one UTC hour (by the
 * event's own timestamp) with the same six dimensions. Sums are of actual values; the
 * `estimated*` fields cover only the events with an estimate (usage-rules.ts), so a correction
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

/**
 * The additive change to one all-instances rollup row: every instance's events of one UTC hour
 * with the same six dimensions, the sum of the instances' deltas of that key.
 */
export type AllInstancesDelta = Omit<RollupDelta, "instanceId">;

/** Maps nested by key part; the last level's values are rows. */
type NestedRows = Map<string, NestedRows | RollupDelta>;

/**
 * Folds accepted events (of any instances) into rollup deltas, one per (instance, hour,
 * dimensions), sorted by that key so engines upsert them in one order.
 */
export function foldRollups(batches: Iterable<{ instanceId: string; events: readonly TaskCompletionEvent[] }>): RollupDelta[] {
  // Rows found through nested maps by instance, the "YYYY-MM-DDTHH" prefix of the timestamp (its
  // UTC hour: the validator allows only Z or +00:00) and each dimension: a joined key string per
  // event, or a Date.parse per event, cost more than the rest of the fold; a batch holds few
  // distinct hours, each parsed once. The last row is tried first: consecutive events of one
  // client mostly share their hour and dimensions.
  const root: NestedRows = new Map();
  const hours = new Map<string, number>();
  const rows: RollupDelta[] = [];
  for (const { instanceId, events } of batches) {
    let last: RollupDelta | null = null;
    let lastPrefix = "";
    for (const event of events) {
      if (last !== null && sameRow(last, lastPrefix, event)) {
        addToRollup(last, event);
        continue;
      }
      const prefix = event.timestamp.slice(0, 13);
      const model = rollupModel(event.model);
      const level = walk(walk(walk(walk(walk(walk(walk(root, instanceId), prefix), event.provider), model), event.task_type), event.complexity), event.harness);
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
      addToRollup(row, event);
      last = row;
      lastPrefix = prefix;
    }
  }
  return rows.sort(compareRollups);
}

/**
 * The rollup deltas (of any instances) summed per (hour, dimensions), sorted by that key so
 * engines upsert the shared rows in one order: concurrent transactions then take their locks in
 * the same order and cannot deadlock.
 */
export function mergeInstances(rollups: readonly RollupDelta[]): AllInstancesDelta[] {
  const merged = new Map<string, AllInstancesDelta>();
  for (const { instanceId: _instance, ...delta } of rollups) {
    // A key string per delta, not per event: deltas have already folded the events of a row.
    const key = JSON.stringify([delta.hourMs, delta.provider, delta.model, delta.task_type, delta.complexity, delta.harness, delta.outcome]);
    const row = merged.get(key);
    if (row) addSums(row, delta);
    else merged.set(key, { ...delta, ratioBuckets: [...delta.ratioBuckets] });
  }
  return [...merged.values()].sort(compareAllInstances);
}

/** The sums of UsageSums besides the histogram. */
const SUM_FIELDS = Object.keys(emptyUsageSums()).filter((field) => field !== "ratioBuckets") as Exclude<keyof UsageSums, "ratioBuckets">[];

function addSums(row: UsageSums, delta: UsageSums): void {
  for (const field of SUM_FIELDS) row[field] += delta[field];
  delta.ratioBuckets.forEach((count, i) => {
    (row.ratioBuckets[i] as number) += count;
  });
}

/** The next level of the nested maps, made when missing. */
function walk(level: NestedRows, part: string): NestedRows {
  let next = level.get(part) as NestedRows | undefined;
  if (!next) level.set(part, (next = new Map()));
  return next;
}

/** Whether `event` (of the row's instance) falls in `row`: same UTC hour and dimensions. */
function sameRow(row: RollupDelta, prefix: string, event: TaskCompletionEvent): boolean {
  return (
    event.timestamp.startsWith(prefix) &&
    row.provider === event.provider &&
    row.task_type === event.task_type &&
    row.complexity === event.complexity &&
    row.harness === event.harness &&
    row.outcome === event.outcome &&
    (row.model === event.model || row.model === rollupModel(event.model))
  );
}

function addToRollup(row: RollupDelta, event: TaskCompletionEvent): void {
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

function compareRollups(a: RollupDelta, b: RollupDelta): number {
  return compareKeys(a.instanceId, b.instanceId) || compareAllInstances(a, b);
}

function compareAllInstances(a: AllInstancesDelta, b: AllInstancesDelta): number {
  return (
    a.hourMs - b.hourMs ||
    compareKeys(a.provider, b.provider) ||
    compareKeys(a.model, b.model) ||
    compareKeys(a.task_type, b.task_type) ||
    compareKeys(a.complexity, b.complexity) ||
    compareKeys(a.harness, b.harness) ||
    compareKeys(a.outcome, b.outcome)
  );
}
