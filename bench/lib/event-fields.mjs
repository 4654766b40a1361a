/**
 * The one event every benchmark sends: the integration guide's Node.js example, field for field
 * ("Instrumenting a Node.js Service", step 2). 22 fields in; the builder adds event_id, timestamp,
 * instance_id and schema_version, so 26 travel on the wire (the brief calls it "the 25-field event").
 * Kept as one plain object (not frozen: callers pass plain literals, and a frozen
 * object takes different V8 paths) and reused for every call in every subject, so no subject pays for
 * building its input and the comparison is only about what each library does with it.
 */
export const EVENT_FIELDS = {
  task_duration_ms: 1_834_000,
  task_type: "implementation",
  complexity: "high",
  harness: "claude_code",
  model: "claude-sonnet-4-5-20250929",
  provider: "anthropic",
  estimated_input_tokens: 200000,
  estimated_output_tokens: 80000,
  actual_input_tokens: 215000,
  actual_output_tokens: 72000,
  estimated_cost_usd_micros: 1200000,
  actual_cost_usd_micros: 1150000,
  quality_gate_passed: true,
  quality_gates_run: ["build", "lint", "test", "typecheck"],
  quality_gates_failed: [],
  context_compactions: 3,
  context_rotations: 1,
  context_utilization_final: 0.85,
  outcome: "success",
  retry_count: 0,
  language: "typescript",
  repo_size_category: "medium",
};

/** Any UUID will do; the loopback sink does not check it. */
export const INSTANCE_ID = "a1b2c3d4-e5f6-4a7b-8c9d-0e1f2a3b4c5d";

export const SCHEMA_VERSION = "1.0";
