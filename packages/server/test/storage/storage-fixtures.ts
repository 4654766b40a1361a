import { randomUUID } from "node:crypto";
import type { TaskCompletionEvent } from "@mosaicstack/telemetry-protocol";
import { validEvent } from "@mosaicstack/telemetry-protocol/testing";
import { compareKeys } from "../../src/aggregation/compare-keys.js";
import type { InstanceAggregate } from "../../src/aggregation/instance-aggregate.js";
import { SKETCH_METRICS } from "../../src/aggregation/sketch-metrics.js";
import type { InstanceRecord, NewApiKey, Storage } from "../../src/storage/storage.js";

/**
 * The figures server tests were written against (prediction, usage and aggregate cases sum them),
 * laid over the shared valid event: small numbers a reader can add up by hand.
 */
const SERVER_FIGURES = {
  task_duration_ms: 60_000,
  model: "claude-sonnet-4-5",
  complexity: "medium",
  estimated_input_tokens: 1000,
  estimated_output_tokens: 500,
  actual_input_tokens: 1200,
  actual_output_tokens: 450,
  estimated_cost_usd_micros: 10_000,
  actual_cost_usd_micros: 12_000,
  quality_gates_run: ["build", "test"],
  context_compactions: 0,
  context_rotations: 0,
  context_utilization_final: 0.5,
} as const satisfies Partial<TaskCompletionEvent>;

/** The shared valid event (protocol's test fixture) of `instanceId` with a fresh id; `overrides` change what a case is about. */
export function makeEvent(instanceId: string, overrides: Partial<TaskCompletionEvent> = {}): TaskCompletionEvent {
  return validEvent({ ...SERVER_FIGURES, event_id: randomUUID(), instance_id: instanceId, ...overrides });
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

/** Every (group, instance) aggregate of `storage` as plain data in key order (JS string order on every engine), bins sorted. */
export async function allAggregates(storage: Storage): Promise<{ groupKey: string; instances: unknown[] }[]> {
  const groups: { groupKey: string; instances: unknown[] }[] = [];
  for await (const group of storage.readAllInstanceAggregates()) {
    groups.push({ groupKey: group.groupKey, instances: [...group.instances].sort((a, b) => compareKeys(a.instanceId, b.instanceId)).map(plainAggregate) });
  }
  return groups.sort((a, b) => compareKeys(a.groupKey, b.groupKey));
}

/** An aggregate with its bin maps as sorted [bin, count] lists: comparable with one deep equality. */
export function plainAggregate(aggregate: InstanceAggregate): unknown {
  return { ...aggregate, bins: Object.fromEntries(SKETCH_METRICS.map((metric) => [metric, [...aggregate.bins[metric]].sort((x, y) => x[0] - y[0])])) };
}
