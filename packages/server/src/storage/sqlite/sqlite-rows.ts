import type { InstanceAggregate } from "../../aggregation/instance-aggregate.js";
import type { ApiKeyRecord, InstanceRecord } from "../storage.js";
import { sparseSketchBins } from "./sparse-sketch.js";

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
  /** Where the output, cost and duration sketches start in `sketches`. */
  outputTokensStart: number,
  costUsdMicrosStart: number,
  durationMsStart: number,
  /** The four sketches' entries joined, in SKETCH_METRICS order (sparse-sketch.ts). */
  sketches: Uint8Array | null,
];

/** The InstanceAggregate of a raw row (the driver makes no object per row; the sketches are read in place). */
export function instanceAggregateOfValues(values: AggregateValues): InstanceAggregate {
  const bytes = values[13] ?? EMPTY;
  // One view of the row's BLOB for its four sketches.
  const sketches = new DataView(bytes.buffer, bytes.byteOffset, bytes.length);
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
      input_tokens: sparseSketchBins(sketches, 0, values[10]),
      output_tokens: sparseSketchBins(sketches, values[10], values[11]),
      cost_usd_micros: sparseSketchBins(sketches, values[11], values[12]),
      duration_ms: sparseSketchBins(sketches, values[12], bytes.length),
    },
  };
}

const EMPTY = new Uint8Array(0);
