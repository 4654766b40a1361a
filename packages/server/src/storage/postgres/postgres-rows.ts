import type { InstanceAggregate } from "../../aggregation/instance-aggregate.js";
import { SKETCH_METRICS, type SketchMetric } from "../../aggregation/sketch-metrics.js";
import type { ApiKeyRecord, InstanceRecord } from "../storage.js";
import type { SketchBins } from "../../aggregation/sketch-bins.js";
import { binsOfSketchBytes } from "./sketch-bytes.js";

/** Rows as node-postgres returns them and their mapping to the Storage types. */
export type Row = Record<string, unknown>;

// bigint arrives as a string from node-postgres (it may exceed 2^53); our counts never do.
export const num = (value: unknown): number => Number(value);
export const dateOrNull = (value: unknown): Date | null => (value === null || value === undefined ? null : (value as Date));

export function toInstance(row: Row): InstanceRecord {
  return { id: row.id as string, name: row.name as string, createdAt: row.created_at as Date };
}

export function toApiKey(row: Row): ApiKeyRecord {
  return {
    id: row.id as string,
    instanceId: row.instance_id as string,
    hash: row.hash as string,
    display: row.display as string,
    createdAt: row.created_at as Date,
    revokedAt: dateOrNull(row.revoked_at),
    expiresAt: dateOrNull(row.expires_at),
  };
}

/** An instance_aggregates row with its sketches (READ_INSTANCE_AGGREGATES). */
export function toInstanceAggregate(row: Row): InstanceAggregate {
  const bins = Object.fromEntries(SKETCH_METRICS.map((metric) => [metric, binsOfSketchBytes(row[`${metric}_sketch`] as Buffer | null)])) as Record<SketchMetric, SketchBins>;
  return {
    instanceId: row.instance_id as string,
    events: num(row.events),
    sumEstimatedInputTokens: num(row.sum_estimated_input_tokens),
    sumActualInputTokens: num(row.sum_actual_input_tokens),
    sumEstimatedOutputTokens: num(row.sum_estimated_output_tokens),
    sumActualOutputTokens: num(row.sum_actual_output_tokens),
    gatePassed: num(row.gate_passed),
    successes: num(row.successes),
    lastUpdated: dateOrNull(row.last_updated),
    bins,
  };
}
