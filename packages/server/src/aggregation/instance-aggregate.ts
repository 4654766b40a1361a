import type { SketchMetric } from "./sketch-metrics.js";

/**
 * One instance's additive aggregates in one group: what a crowd snapshot weighs instance by
 * instance, and what an instance's own-history answer is read from. Sums of estimated and actual
 * tokens cover only the events with an estimate of that kind (an estimate of 0 means none).
 */
export interface InstanceAggregate {
  instanceId: string;
  events: number;
  sumEstimatedInputTokens: number;
  sumActualInputTokens: number;
  sumEstimatedOutputTokens: number;
  sumActualOutputTokens: number;
  gatePassed: number;
  successes: number;
  /** When this instance's last event in the group was received. */
  lastUpdated: Date | null;
  /** Per metric, sketch bin -> events. */
  bins: Record<SketchMetric, ReadonlyMap<number, number>>;
}
