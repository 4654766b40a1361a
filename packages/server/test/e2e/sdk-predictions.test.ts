import { afterAll, beforeAll, describe, expect, it } from "vitest";
// The built SDK, as a user installs it: `npm test` builds packages/client/dist first.
import { TelemetryClient, type PredictionQuery } from "../../../client/dist/index.js";
import { createInstance, startLiveServer, usageOf, type CreatedInstance, type LiveServer } from "./live-server.js";

/** One dimension combination an instance reports, and how many times. */
interface Report {
  provider: PredictionQuery["provider"];
  model: string;
  task_type: PredictionQuery["task_type"];
  complexity: PredictionQuery["complexity"];
  times: number;
}

/**
 * Worlds that do not share a provider, so each query meets only its own data. Crowd answers are
 * noisy snapshots (docs/predictions.md), so each world is built so that exactly one level first
 * qualifies whatever the noise: the levels below it have only four contributing instances (the
 * contributor minimum is exact), the answering level has all five and 100 events or more: enough
 * that its noisy answer stays within a few percent (docs/predictions.md; smaller groups are
 * noisier by design).
 * - level 0: every instance reports the queried combination 20 times;
 * - level 1: instances 0-3 report complexity low, every instance reports high;
 * - level 2: instances 0-3 report testing, every instance debugging;
 * - level 3: instances 0-3 report model a, every instance model b;
 * - -1: instances 0-3 only: the provider itself stays under the instance minimum.
 * The reader is instance 4, which has no events of its own in the levels that must not answer, so
 * no own-history answer stands in for them.
 */
const everyInstance: Report[] = [
  { provider: "anthropic", model: "e2e-level0", task_type: "implementation", complexity: "medium", times: 20 },
  { provider: "openai", model: "e2e-level1", task_type: "implementation", complexity: "high", times: 20 },
  { provider: "google", model: "e2e-level2", task_type: "debugging", complexity: "medium", times: 20 },
  { provider: "mistral", model: "e2e-level3-b", task_type: "implementation", complexity: "medium", times: 20 },
];
const firstFourOnly: Report[] = [
  { provider: "openai", model: "e2e-level1", task_type: "implementation", complexity: "low", times: 3 },
  { provider: "google", model: "e2e-level2", task_type: "testing", complexity: "medium", times: 3 },
  { provider: "mistral", model: "e2e-level3-a", task_type: "implementation", complexity: "medium", times: 3 },
  { provider: "deepseek", model: "e2e-below", task_type: "implementation", complexity: "medium", times: 3 },
];

/** `events`: the answering group's true event count (the published one is noisy, rounded to tens). */
const cases: { name: string; query: PredictionQuery; level: number; events: number; contributors: number }[] = [
  {
    name: "level 0: the exact combination",
    query: { provider: "anthropic", model: "e2e-level0", task_type: "implementation", complexity: "medium" },
    level: 0,
    events: 100,
    contributors: 5,
  },
  {
    name: "level 1: complexity dropped",
    query: { provider: "openai", model: "e2e-level1", task_type: "implementation", complexity: "low" },
    level: 1,
    events: 112,
    contributors: 5,
  },
  {
    name: "level 2: task type dropped too",
    query: { provider: "google", model: "e2e-level2", task_type: "testing", complexity: "medium" },
    level: 2,
    events: 112,
    contributors: 5,
  },
  {
    name: "level 3: the provider alone",
    query: { provider: "mistral", model: "e2e-level3-a", task_type: "implementation", complexity: "medium" },
    level: 3,
    events: 112,
    contributors: 5,
  },
  {
    name: "-1: too few instances at every level",
    query: { provider: "deepseek", model: "e2e-below", task_type: "implementation", complexity: "medium" },
    level: -1,
    events: 0,
    contributors: 0,
  },
  {
    name: "-1: no data at all",
    query: { provider: "xai", model: "never-seen", task_type: "planning", complexity: "critical" },
    level: -1,
    events: 0,
    contributors: 0,
  },
];

describe("predictions through the built SDK after several instances reported through it", () => {
  let server: LiveServer;
  let instances: CreatedInstance[];
  beforeAll(async () => {
    server = await startLiveServer();
    instances = [];
    for (let i = 0; i < 5; i++) instances.push(await createInstance(server.url, `e2e-predictions-${i}`));
    for (const [index, instance] of instances.entries()) {
      const reports = index < 4 ? [...everyInstance, ...firstFourOnly] : everyInstance;
      await report(server, instance, reports);
    }
  });
  afterAll(async () => server?.close());

  it("stored what every instance tracked", async () => {
    const each = everyInstance.reduce((sum, entry) => sum + entry.times, 0);
    const extra = firstFourOnly.reduce((sum, entry) => sum + entry.times, 0);
    for (const [index, instance] of instances.entries()) {
      expect((await usageOf(server.url, instance.instanceId)).events).toBe(index < 4 ? each + extra : each);
    }
  });

  it("refreshPredictions + getPrediction answer every case at the expected fallback level", async () => {
    const errors: Error[] = [];
    const reader = instances[4] as CreatedInstance;
    const client = new TelemetryClient({ serverUrl: server.url, apiKey: reader.apiKey, instanceId: reader.instanceId, onError: (e) => errors.push(e) });
    await client.refreshPredictions(cases.map((entry) => entry.query));
    expect(errors).toEqual([]);
    expect(server.seen("/v1/predictions/batch").map((seen) => seen.status)).toEqual([200]);
    for (const entry of cases) {
      const answer = client.getPrediction(entry.query);
      expect(answer, entry.name).not.toBeNull();
      expect(answer?.metadata, entry.name).toMatchObject({ fallback_level: entry.level, contributors: entry.contributors });
      if (entry.level === -1) {
        expect(answer?.metadata.sample_size, entry.name).toBe(0);
        expect(answer?.prediction, entry.name).toBeNull();
        expect(answer?.metadata.confidence, entry.name).toBe("none");
      } else {
        expect(answer?.metadata.source, entry.name).toBe("crowd");
        // Rounded to tens, with noise of a few events.
        expect((answer?.metadata.sample_size ?? 1) % 10, entry.name).toBe(0);
        expect(Math.abs((answer?.metadata.sample_size ?? 0) - entry.events), entry.name).toBeLessThanOrEqual(20);
        // Every event reported 1000 input tokens: the noisy median stays within the 8 % bin around it.
        expect(answer?.prediction?.input_tokens.median, entry.name).toBeGreaterThanOrEqual(900);
        expect(answer?.prediction?.input_tokens.median, entry.name).toBeLessThanOrEqual(1100);
        expect(answer?.prediction?.quality.success_rate, entry.name).toBeGreaterThanOrEqual(0.9);
      }
    }
    await client.stop();
  });
});

/** One instance reports its events through its own SDK client, as the guide does, and stops. */
async function report(server: LiveServer, instance: CreatedInstance, reports: Report[]): Promise<void> {
  const errors: Error[] = [];
  const client = new TelemetryClient({
    serverUrl: server.url,
    apiKey: instance.apiKey,
    instanceId: instance.instanceId,
    onError: (error) => errors.push(error),
  });
  client.start();
  for (const entry of reports) {
    for (let i = 0; i < entry.times; i++) {
      client.track(
        client.eventBuilder.build({
          task_duration_ms: 60_000,
          task_type: entry.task_type,
          complexity: entry.complexity,
          harness: "claude_code",
          model: entry.model,
          provider: entry.provider,
          estimated_input_tokens: 1000,
          estimated_output_tokens: 500,
          actual_input_tokens: 1000,
          actual_output_tokens: 500,
          estimated_cost_usd_micros: 10_000,
          actual_cost_usd_micros: 10_000,
          quality_gate_passed: true,
          quality_gates_run: ["build"],
          quality_gates_failed: [],
          context_compactions: 0,
          context_rotations: 0,
          context_utilization_final: 0.5,
          outcome: "success",
          retry_count: 0,
        }),
      );
    }
  }
  const result = await client.stop();
  if (errors.length > 0 || result.pending !== 0 || result.dropped !== 0) {
    throw new Error(`instance ${instance.instanceId} could not report: ${errors.map((e) => e.message).join("; ")}`);
  }
}
