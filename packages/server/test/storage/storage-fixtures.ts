import { randomUUID } from "node:crypto";
import type { TaskCompletionEvent } from "@mosaicstack/telemetry-protocol";
import type { InstanceRecord, NewApiKey, Storage } from "../../src/storage/storage.js";

/** A valid event with every field set; `overrides` change what a case is about. */
export function makeEvent(instanceId: string, overrides: Partial<TaskCompletionEvent> = {}): TaskCompletionEvent {
  return {
    event_id: randomUUID(),
    instance_id: instanceId,
    schema_version: "1.0",
    timestamp: "2026-11-28T12:00:00.000Z",
    task_duration_ms: 60_000,
    task_type: "implementation",
    complexity: "medium",
    harness: "claude_code",
    model: "claude-sonnet-4-5",
    provider: "anthropic",
    estimated_input_tokens: 1000,
    estimated_output_tokens: 500,
    actual_input_tokens: 1200,
    actual_output_tokens: 450,
    estimated_cost_usd_micros: 10_000,
    actual_cost_usd_micros: 12_000,
    quality_gate_passed: true,
    quality_gates_run: ["build", "test"],
    quality_gates_failed: [],
    context_compactions: 0,
    context_rotations: 0,
    context_utilization_final: 0.5,
    outcome: "success",
    retry_count: 0,
    language: "typescript",
    repo_size_category: "medium",
    ...overrides,
  };
}

export interface SeededInstance {
  instance: InstanceRecord;
  key: NewApiKey;
}

let keyCounter = 0;

/** A key record as the admin layer would make it (the hash is any unique hex here). */
export function makeKey(instanceId: string, createdAt = new Date("2026-11-28T10:00:00.000Z")): NewApiKey {
  keyCounter += 1;
  const id = randomUUID();
  return {
    id,
    instanceId,
    hash: `${keyCounter.toString(16).padStart(8, "0")}${id.replaceAll("-", "")}`.padEnd(64, "0").slice(0, 64),
    display: `msk_ab12…${id.slice(-4)}`,
    createdAt,
    expiresAt: null,
  };
}

/** Creates an instance with its first key. */
export async function seedInstance(storage: Storage, name = "test instance", id: string = randomUUID()): Promise<SeededInstance> {
  const instance: InstanceRecord = { id, name, createdAt: new Date("2026-11-28T10:00:00.000Z") };
  const key = makeKey(id);
  await storage.createInstance(instance, key);
  return { instance, key };
}
