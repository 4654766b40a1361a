import type { TaskCompletionEvent } from "@mosaicstack/telemetry-protocol";
import { groupKey } from "../../src/aggregation/group-key.js";
import type { Storage } from "../../src/storage/storage.js";
import { createPrivatePredictor } from "../../src/predictions/privacy/private-predictor.js";
import { allAggregates, makeEvent, plainAggregate } from "./storage-fixtures.js";
import { toStore } from "../helpers/events-to-store.js";
import { seededSnapshotNoise } from "../helpers/seeded-noise.js";

/**
 * One fixed workload whose every answer is turned into plain data, so two engines can be compared
 * with one deep equality: the same inputs must give the same answers everywhere.
 */

const INSTANCE_A = "11111111-1111-4111-8111-111111111111";
const INSTANCE_B = "22222222-2222-4222-8222-222222222222";
const RECEIVED = new Date("2026-11-28T12:30:00.000Z");
const NOW = new Date("2026-11-28T13:00:00.000Z");

function fixedId(n: number): string {
  return `00000000-0000-4000-8000-${n.toString().padStart(12, "0")}`;
}

function scenarioEvents(instanceId: string, offset: number): TaskCompletionEvent[] {
  const models = ["claude-sonnet-4-5", "claude-opus-4", "gpt'; DROP TABLE events;--"];
  return Array.from({ length: 30 }, (_, i) =>
    makeEvent(instanceId, {
      event_id: fixedId(offset + i),
      model: models[i % 3] as string,
      complexity: i % 2 === 0 ? "low" : "high",
      actual_input_tokens: i * 997,
      actual_output_tokens: i * 13,
      actual_cost_usd_micros: i % 5 === 0 ? 0 : i * 1234,
      task_duration_ms: 1000 + i * 777,
      estimated_input_tokens: 900 + i,
      quality_gate_passed: i % 4 !== 0,
      outcome: i % 3 === 0 ? "failure" : "success",
    }),
  );
}

export async function runScenario(storage: Storage): Promise<unknown> {
  await storage.createInstance(
    { id: INSTANCE_A, name: "a", createdAt: new Date("2026-11-28T10:00:00.000Z") },
    { id: "key-a", instanceId: INSTANCE_A, hash: "a".repeat(64), display: "msk_aaaa…aaaa", createdAt: RECEIVED, expiresAt: null },
  );
  await storage.createInstance(
    { id: INSTANCE_B, name: "b", createdAt: new Date("2026-11-28T10:00:01.000Z") },
    { id: "key-b", instanceId: INSTANCE_B, hash: "b".repeat(64), display: "msk_bbbb…bbbb", createdAt: RECEIVED, expiresAt: null },
  );
  const statusesA = await storage.ingestEvents(INSTANCE_A, toStore(scenarioEvents(INSTANCE_A, 0)), RECEIVED);
  const statusesB = await storage.ingestEvents(INSTANCE_B, toStore(scenarioEvents(INSTANCE_B, 10)), new Date(RECEIVED.getTime() + 1000));
  const again = await storage.ingestEvents(INSTANCE_A, toStore(scenarioEvents(INSTANCE_A, 20)), new Date(RECEIVED.getTime() + 2000));

  const dims = { provider: "anthropic" as const, task_type: "implementation" as const, complexity: "low" as const };
  const keys = [
    groupKey({ ...dims, model: "claude-sonnet-4-5" }, 0),
    groupKey({ ...dims, model: "gpt'; DROP TABLE events;--" }, 1),
    groupKey({ ...dims, model: "claude-opus-4" }, 2),
    groupKey({ ...dims, model: "x" }, 3),
    "[\"no such group\"]",
  ];
  // Crowd snapshots of the same aggregates with the same seed and clock: the same noise, so the same answers.
  const predictor = createPrivatePredictor(storage, { thresholds: { minEvents: 10, minContributors: 2 }, noise: seededSnapshotNoise("scenario"), now: () => NOW });
  const queries = ["claude-sonnet-4-5", "claude-opus-4", "gpt'; DROP TABLE events;--", "unknown"].flatMap((model) =>
    (["low", "high"] as const).map((complexity) => ({ ...dims, model, complexity })),
  );
  return {
    statusesA,
    statusesB,
    again,
    aggregates: await allAggregates(storage),
    own: [...(await storage.readOwnAggregates(INSTANCE_B, keys))].sort(([a], [b]) => (a < b ? -1 : 1)).map(([key, aggregate]) => [key, plainAggregate(aggregate)]),
    crowd: await predictor.predict(queries),
    ownAnswers: await predictor.predict(queries.map((query) => ({ ...query, source: "own" as const })), { instanceId: INSTANCE_A }),
    usageA: await storage.usage(INSTANCE_A),
    usageB: await storage.usage(INSTANCE_B),
    instances: await storage.listInstances(),
    keys: await storage.listApiKeys(),
  };
}
