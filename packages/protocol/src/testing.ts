/**
 * Test fixtures for every package's tests, reached as `@mosaicstack/telemetry-protocol/testing`.
 * A separate entry point so the runtime entry (`.`) never carries them.
 */
import type { TaskCompletionEvent } from "./event.js";

/** A valid event of schema 1.0 with every field set, fresh each call so tests can change it freely. */
export function validEvent(overrides: Partial<Record<keyof TaskCompletionEvent, unknown>> = {}): TaskCompletionEvent {
  return {
    event_id: "0b6a3f3e-3a0c-4f4e-9a57-6d7d2b2f9c11",
    instance_id: "a1b2c3d4-e5f6-4a7b-8c9d-0e1f2a3b4c5d",
    schema_version: "1.0",
    timestamp: "2026-11-28T12:00:00.000Z",
    task_duration_ms: 120000,
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
    ...overrides,
  } as TaskCompletionEvent;
}
