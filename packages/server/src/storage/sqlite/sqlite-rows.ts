import type { GroupLevel } from "../../aggregation/group-key.js";
import type { SketchMetric } from "../../aggregation/sketch-metrics.js";
import type { ApiKeyRecord, GroupSummary, InstanceRecord } from "../storage.js";

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

export interface GroupRow {
  group_key: string;
  level: number;
  parent_key: string | null;
  events: number;
  contributors: number;
  sum_estimated_input_tokens: number;
  sum_actual_input_tokens: number;
  sum_estimated_output_tokens: number;
  sum_actual_output_tokens: number;
  gate_passed: number;
  successes: number;
  last_updated: number | null;
}

export interface SketchRow {
  group_key: string;
  metric: SketchMetric;
  sketch: Uint8Array;
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

export function toSummary(row: GroupRow): GroupSummary {
  return {
    groupKey: row.group_key,
    level: row.level as GroupLevel,
    parentKey: row.parent_key,
    events: row.events,
    contributors: row.contributors,
    sumEstimatedInputTokens: row.sum_estimated_input_tokens,
    sumActualInputTokens: row.sum_actual_input_tokens,
    sumEstimatedOutputTokens: row.sum_estimated_output_tokens,
    sumActualOutputTokens: row.sum_actual_output_tokens,
    gatePassed: row.gate_passed,
    successes: row.successes,
    lastUpdated: fromMs(row.last_updated),
  };
}
