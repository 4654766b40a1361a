import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createPredictor } from "../../src/predictions/predictor.js";
import { openStorage } from "../../src/storage/open-storage.js";
import type { Storage } from "../../src/storage/storage.js";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { injectJson, makeEvent, seedInstance, startTestServer, type TestServer } from "./test-server.js";
import { seededSnapshotNoise } from "../helpers/seeded-noise.js";

const QUERY = { task_type: "implementation", model: "claude-sonnet-4-5", provider: "anthropic", complexity: "medium" };

describe("predictions over HTTP with the real predictor and SQLite", () => {
  let server: TestServer;
  let storage: Storage;
  let dir: string;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "mosaic-pred-"));
    storage = await openStorage({ engine: "sqlite", path: join(dir, "t.db") });
    server = await startTestServer({ storage, inProcess: true, predictor: createPredictor(storage, { minEvents: 4, minContributors: 2 }, { noise: seededSnapshotNoise("real"), now: () => new Date("2026-12-01T10:00:00.000Z") }) });
  });
  afterAll(async () => {
    await server.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("answers null with no data, then a level-0 crowd prediction once two instances sent enough events", async () => {
    const path = "/v1/predictions/batch";
    const empty = await injectJson(server.app, path, server.apiKey, { queries: [QUERY] });
    expect(empty.status).toBe(200);
    expect(empty.body.results[0]).toMatchObject({ query: QUERY, prediction: null, metadata: { fallback_level: -1 } });

    const other = await seedInstance(storage, "second");
    for (const [key, instanceId] of [
      [server.apiKey, server.instanceId],
      [other.apiKey, other.instanceId],
    ] as const) {
      const events = Array.from({ length: 10 }, () => makeEvent(instanceId));
      expect((await injectJson(server.app, "/v1/events/batch", key, { events })).body.accepted).toBe(10);
    }

    const answer = await injectJson(server.app, path, server.apiKey, { queries: [QUERY] });
    expect(answer.status).toBe(200);
    const [result] = answer.body.results;
    // A crowd snapshot: sizes rounded (events to tens, at least the minimum), values noisy: 20
    // events with noise of about two events, so 10, 20 or 30.
    expect(result.metadata).toMatchObject({ contributors: 2, fallback_level: 0, source: "crowd" });
    expect(result.metadata.sample_size % 10).toBe(0);
    expect(result.metadata.sample_size).toBeGreaterThanOrEqual(10);
    expect(result.metadata.sample_size).toBeLessThanOrEqual(30);
    expect(result.prediction.input_tokens.median).toBeGreaterThan(0);
    // Every event ran 1.2x its estimate; a two-instance group's noisy median ratio stays near it.
    expect(result.prediction.correction_factors.input).toBeGreaterThanOrEqual(0.8);
    expect(result.prediction.correction_factors.input).toBeLessThanOrEqual(1.6);
  });
});
