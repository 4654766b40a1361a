import type {
  Complexity,
  Harness,
  Outcome,
  Provider,
  QualityGate,
  RepoSizeCategory,
  TaskType,
} from "./enums.js";

/** The only event schema version this protocol speaks. */
export const SCHEMA_VERSION = "1.0";
export type SchemaVersion = typeof SCHEMA_VERSION;

/** The fields a caller gives `eventBuilder.build()`: everything but the four it adds. */
export interface TaskCompletionFields {
  task_duration_ms: number;
  task_type: TaskType;
  complexity: Complexity;
  harness: Harness;
  model: string;
  provider: Provider;
  estimated_input_tokens: number;
  estimated_output_tokens: number;
  actual_input_tokens: number;
  actual_output_tokens: number;
  estimated_cost_usd_micros: number;
  actual_cost_usd_micros: number;
  quality_gate_passed: boolean;
  quality_gates_run: QualityGate[];
  quality_gates_failed: QualityGate[];
  context_compactions: number;
  context_rotations: number;
  context_utilization_final: number;
  outcome: Outcome;
  retry_count: number;
  language?: string | null;
  repo_size_category?: RepoSizeCategory | null;
}

/** A complete event of schema version 1.0, as it crosses the wire. */
export interface TaskCompletionEvent extends TaskCompletionFields {
  event_id: string;
  instance_id: string;
  schema_version: SchemaVersion;
  /** ISO 8601 UTC, when the task finished. */
  timestamp: string;
}
