import type { SketchMetric } from "./sketch-metrics.js";

/**
 * The additive counts and sums of some events of one instance in one group, as stored and as
 * ingest adds to them. Sums of estimated and actual tokens cover only the events with an estimate
 * of that kind (an estimate of 0 means none).
 */
export interface AggregateSums {
  instanceId: string;
  events: number;
  sumEstimatedInputTokens: number;
  sumActualInputTokens: number;
  sumEstimatedOutputTokens: number;
  sumActualOutputTokens: number;
  gatePassed: number;
  successes: number;
}

/**
 * One instance's aggregates in one group: what a crowd snapshot weighs instance by instance, and
 * what an instance's own-history answer is read from.
 */
export interface InstanceAggregate extends AggregateSums {
  /** When this instance's last event in the group was received. */
  lastUpdated: Date | null;
  /** Per metric, sketch bin -> events. */
  bins: Record<SketchMetric, ReadonlyMap<number, number>>;
}
