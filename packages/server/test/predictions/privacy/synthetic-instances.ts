import { SKETCH_METRICS, type SketchMetric } from "../../../src/aggregation/sketch-metrics.js";
import { sketchBin } from "../../../src/aggregation/sketch-mapping.js";
import type { InstanceAggregate } from "../../../src/aggregation/instance-aggregate.js";
import { instanceUnits, weightCap } from "../../../src/predictions/privacy/instance-weights.js";

/** One synthetic event: its four metric values, estimates and flags. */
export interface SyntheticEvent {
  values: Record<SketchMetric, number>;
  estimatedInput: number;
  estimatedOutput: number;
  gatePassed: boolean;
  success: boolean;
}

/** A synthetic event whose four metrics all take `value` (attack tests only look at one metric). */
export function eventOf(value: number, patch: Partial<SyntheticEvent> = {}): SyntheticEvent {
  return {
    values: { input_tokens: value, output_tokens: value, cost_usd_micros: value, duration_ms: value },
    estimatedInput: 0,
    estimatedOutput: 0,
    gatePassed: true,
    success: true,
    ...patch,
  };
}

/** The aggregates of one instance's events, as storage keeps them per (group, instance). */
export function aggregateOf(instanceId: string, events: readonly SyntheticEvent[]): InstanceAggregate {
  const bins = Object.fromEntries(SKETCH_METRICS.map((metric) => [metric, new Map<number, number>()])) as Record<SketchMetric, Map<number, number>>;
  const aggregate: InstanceAggregate = {
    instanceId,
    events: events.length,
    sumEstimatedInputTokens: 0,
    sumActualInputTokens: 0,
    sumEstimatedOutputTokens: 0,
    sumActualOutputTokens: 0,
    gatePassed: 0,
    successes: 0,
    lastUpdated: null,
    bins,
  };
  for (const event of events) {
    for (const metric of SKETCH_METRICS) {
      const bin = sketchBin(event.values[metric]);
      bins[metric].set(bin, (bins[metric].get(bin) ?? 0) + 1);
    }
    if (event.estimatedInput > 0) {
      aggregate.sumEstimatedInputTokens += event.estimatedInput;
      aggregate.sumActualInputTokens += event.values.input_tokens;
    }
    if (event.estimatedOutput > 0) {
      aggregate.sumEstimatedOutputTokens += event.estimatedOutput;
      aggregate.sumActualOutputTokens += event.values.output_tokens;
    }
    if (event.gatePassed) aggregate.gatePassed += 1;
    if (event.success) aggregate.successes += 1;
  }
  return aggregate;
}

/**
 * The exact lower q-quantile of the instances' values as bounded weighting defines it: each
 * event weighs min(1, cap / its instance's events), and the answer is the smallest value whose
 * cumulative weight exceeds q times the total.
 */
export function weightedQuantile(instances: readonly (readonly number[])[], q: number, minContributors: number): number {
  const cap = weightCap(
    instances.map((values) => values.length),
    minContributors,
  );
  const points = instances.flatMap((values) => values.map((value) => ({ value, weight: instanceUnits(values.length, cap) / values.length })));
  points.sort((a, b) => a.value - b.value);
  const total = points.reduce((sum, point) => sum + point.weight, 0);
  let cumulative = 0;
  for (const point of points) {
    cumulative += point.weight;
    if (cumulative > q * total) return point.value;
  }
  return points[points.length - 1]?.value ?? 0;
}
