import type { InstanceAggregate } from "../../aggregation/instance-aggregate.js";
import type { ApiKeyRecord, InstanceRecord } from "../storage.js";
import { binsOfSparseSketch } from "./sparse-sketch.js";

/** Rows as SQLite returns them (times in epoch ms) and their mapping to the Storage types. */

export interface InstanceRow {
  id: string;
  name: string;
  created_at: number;
}

export interface ApiKeyRow {
  id: string;
  instance_id: string;
  hash: string;
  display: string;
  created_at: number;
  revoked_at: number | null;
  expires_at: number | null;
}

/** An instance_aggregates row as the reads select it (AGGREGATE_COLUMNS). */
export interface AggregateRow {
  group_key: string;
  instance_id: string;
  events: number;
  sum_estimated_input_tokens: number;
  sum_actual_input_tokens: number;
  sum_estimated_output_tokens: number;
  sum_actual_output_tokens: number;
  gate_passed: number;
  successes: number;
  last_updated: number;
  input_tokens_sketch: Uint8Array;
  output_tokens_sketch: Uint8Array;
  cost_usd_micros_sketch: Uint8Array;
  duration_ms_sketch: Uint8Array;
}

export const fromMs = (ms: number | null): Date | null => (ms === null ? null : new Date(ms));

export function toInstance(row: InstanceRow): InstanceRecord {
  return { id: row.id, name: row.name, createdAt: new Date(row.created_at) };
}

export function toApiKey(row: ApiKeyRow): ApiKeyRecord {
  return {
    id: row.id,
    instanceId: row.instance_id,
    hash: row.hash,
    display: row.display,
    createdAt: new Date(row.created_at),
    revokedAt: fromMs(row.revoked_at),
    expiresAt: fromMs(row.expires_at),
  };
}

export function toInstanceAggregate(row: AggregateRow): InstanceAggregate {
  return {
    instanceId: row.instance_id,
    events: row.events,
    sumEstimatedInputTokens: row.sum_estimated_input_tokens,
    sumActualInputTokens: row.sum_actual_input_tokens,
    sumEstimatedOutputTokens: row.sum_estimated_output_tokens,
    sumActualOutputTokens: row.sum_actual_output_tokens,
    gatePassed: row.gate_passed,
    successes: row.successes,
    lastUpdated: new Date(row.last_updated),
    bins: {
      input_tokens: binsOfSparseSketch(row.input_tokens_sketch),
      output_tokens: binsOfSparseSketch(row.output_tokens_sketch),
      cost_usd_micros: binsOfSparseSketch(row.cost_usd_micros_sketch),
      duration_ms: binsOfSparseSketch(row.duration_ms_sketch),
    },
  };
}

/** An instance_aggregates row as a raw statement returns it: AGGREGATE_COLUMNS' values in order. */
export type AggregateValues = [
  groupKey: string,
  instanceId: string,
  events: number,
  sumEstimatedInputTokens: number,
  sumActualInputTokens: number,
  sumEstimatedOutputTokens: number,
  sumActualOutputTokens: number,
  gatePassed: number,
  successes: number,
  lastUpdated: number,
  inputTokensSketch: Uint8Array,
  outputTokensSketch: Uint8Array,
  costUsdMicrosSketch: Uint8Array,
  durationMsSketch: Uint8Array,
];

/** toInstanceAggregate of a raw row (the read of every aggregate: no object per row from the driver). */
export function instanceAggregateOfValues(values: AggregateValues): InstanceAggregate {
  return {
    instanceId: values[1],
    events: values[2],
    sumEstimatedInputTokens: values[3],
    sumActualInputTokens: values[4],
    sumEstimatedOutputTokens: values[5],
    sumActualOutputTokens: values[6],
    gatePassed: values[7],
    successes: values[8],
    lastUpdated: new Date(values[9]),
    bins: {
      input_tokens: binsOfSparseSketch(values[10]),
      output_tokens: binsOfSparseSketch(values[11]),
      cost_usd_micros: binsOfSparseSketch(values[12]),
      duration_ms: binsOfSparseSketch(values[13]),
    },
  };
}
