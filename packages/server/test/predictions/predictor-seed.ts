import type { PredictionQuery, TaskCompletionEvent } from "@mosaicstack/telemetry-protocol";
import type { Storage } from "../../src/storage/storage.js";
import { makeEvent, seedInstance } from "../storage/storage-fixtures.js";
import { toStore } from "../helpers/events-to-store.js";

/** The query every predictor case starts from; cases vary one dimension at a time. */
export const BASE_QUERY: PredictionQuery = {
  provider: "anthropic",
  model: "claude-sonnet-4-5",
  task_type: "implementation",
  complexity: "medium",
};

/** Opens a fresh, empty storage for one case; `dispose` closes and removes it. */
export type OpenFreshStorage = () => Promise<{ storage: Storage; dispose: () => Promise<void> }>;

/** The four dimensions of a query as event fields. */
export function eventDims(query: PredictionQuery): Partial<TaskCompletionEvent> {
  return { provider: query.provider, model: query.model, task_type: query.task_type, complexity: query.complexity };
}

/**
 * Seeds `instances` new instances, each sending `perInstance` events in the group of `query`,
 * with `overrides(instanceIndex, eventIndex)` changing further fields. Returns the instance ids.
 */
export async function seedGroup(
  storage: Storage,
  query: PredictionQuery,
  instances: number,
  perInstance: number,
  overrides: (instance: number, event: number) => Partial<TaskCompletionEvent> = () => ({}),
  receivedAt = new Date("2026-11-28T12:00:00.000Z"),
): Promise<string[]> {
  const ids: string[] = [];
  for (let i = 0; i < instances; i += 1) {
    const { instance } = await seedInstance(storage);
    ids.push(instance.id);
    await sendEvents(storage, instance.id, query, perInstance, (e) => overrides(i, e), receivedAt);
  }
  return ids;
}

/** `count` events of an existing instance in the group of `query`. */
export async function sendEvents(
  storage: Storage,
  instanceId: string,
  query: PredictionQuery,
  count: number,
  overrides: (event: number) => Partial<TaskCompletionEvent> = () => ({}),
  receivedAt = new Date("2026-11-28T12:00:00.000Z"),
): Promise<void> {
  const events = Array.from({ length: count }, (_, e) => makeEvent(instanceId, { ...eventDims(query), ...overrides(e) }));
  await storage.ingestEvents(instanceId, toStore(events), receivedAt);
}
