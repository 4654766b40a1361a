import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { PredictionQuery } from "@mosaicstack/telemetry-protocol";
import { createPredictor } from "../../src/predictions/predictor.js";
import type { Storage } from "../../src/storage/storage.js";
import { BASE_QUERY, openTempSqlite, seedGroup, sendEvents } from "./predictor-seed.js";
import { seedInstance } from "../storage/storage-fixtures.js";

const THRESHOLDS = { minEvents: 10, minContributors: 5 };
const at = (patch: Partial<PredictionQuery>): PredictionQuery => ({ ...BASE_QUERY, ...patch });

describe("predictor over real SQLite storage", () => {
  let storage: Storage;
  let dispose: () => Promise<void>;
  beforeEach(async () => {
    ({ storage, dispose } = await openTempSqlite());
  });
  afterEach(async () => {
    await dispose();
  });

  it("answers at level 0 from an exact group that meets both minimums", async () => {
    await seedGroup(storage, BASE_QUERY, 5, 2, () => ({}), new Date("2026-11-28T12:34:56.000Z"));
    const [result] = await createPredictor(storage, THRESHOLDS).predict([BASE_QUERY]);
    expect(result?.metadata).toEqual({
      sample_size: 10,
      contributors: 5,
      fallback_level: 0,
      dimensions: ["provider", "model", "task_type", "complexity"],
      confidence: "low",
      last_updated: "2026-11-28T12:34:56.000Z",
    });
    expect(result?.query).toEqual(BASE_QUERY);
    expect(result?.prediction).not.toBeNull();
  });

  it("answers -1 with no data", async () => {
    const [result] = await createPredictor(storage, THRESHOLDS).predict([BASE_QUERY]);
    expect(result).toEqual({
      query: BASE_QUERY,
      prediction: null,
      metadata: { sample_size: 0, contributors: 0, fallback_level: -1, dimensions: [], confidence: "none", last_updated: null },
    });
  });

  it("falls back to level 1 when the exact group has too few contributors", async () => {
    // 4 instances in the asked complexity (below 5 contributors), 3 others in another complexity.
    await seedGroup(storage, BASE_QUERY, 4, 3);
    await seedGroup(storage, at({ complexity: "high" }), 3, 3);
    const [result] = await createPredictor(storage, THRESHOLDS).predict([BASE_QUERY]);
    expect(result?.metadata.fallback_level).toBe(1);
    expect(result?.metadata.dimensions).toEqual(["provider", "model", "task_type"]);
    expect(result?.metadata.sample_size).toBe(21);
    expect(result?.metadata.contributors).toBe(7);
  });

  it("computes correction factors and rates from known data", async () => {
    // Two kinds of events, 10 of each, from 5 instances: actual/estimated input = (10*1200 + 10*600) / (20*1000).
    await seedGroup(storage, BASE_QUERY, 5, 4, (_i, e) =>
      e % 2 === 0
        ? { estimated_input_tokens: 1000, actual_input_tokens: 1200, estimated_output_tokens: 500, actual_output_tokens: 250, quality_gate_passed: true, outcome: "success" }
        : { estimated_input_tokens: 1000, actual_input_tokens: 600, estimated_output_tokens: 500, actual_output_tokens: 500, quality_gate_passed: false, outcome: "failure" },
    );
    const [result] = await createPredictor(storage, THRESHOLDS).predict([BASE_QUERY]);
    expect(result?.prediction?.correction_factors.input).toBeCloseTo(0.9, 12);
    expect(result?.prediction?.correction_factors.output).toBeCloseTo(0.75, 12);
    expect(result?.prediction?.quality).toEqual({ gate_pass_rate: 0.5, success_rate: 0.5 });
  });

  it("answers a group one instance short of the minimum only by falling back", async () => {
    const { instance } = await seedInstance(storage);
    await sendEvents(storage, instance.id, BASE_QUERY, 50);
    const [result] = await createPredictor(storage, THRESHOLDS).predict([BASE_QUERY]);
    expect(result?.metadata.fallback_level).toBe(-1);
  });
});
