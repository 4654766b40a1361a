import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { PredictionQuery } from "@mosaicstack/telemetry-protocol";
import { CONFIDENCE_RULE } from "../../src/predictions/confidence.js";
import { createPredictor } from "../../src/predictions/predictor.js";
import { RELATIVE_ACCURACY } from "../../src/aggregation/sketch-mapping.js";
import { StorageUnavailableError, type Storage } from "../../src/storage/storage.js";
import { seedInstance } from "../storage/storage-fixtures.js";
import { BASE_QUERY, seedGroup, sendEvents, type OpenFreshStorage } from "./predictor-seed.js";

const THRESHOLDS = { minEvents: 10, minContributors: 5 };
const at = (patch: Partial<PredictionQuery>): PredictionQuery => ({ ...BASE_QUERY, ...patch });
const NO_ANSWER = { sample_size: 0, contributors: 0, fallback_level: -1, dimensions: [], confidence: "none", last_updated: null };

/** Counts the storage reads a predictor makes, and the keys it asks for. */
function countingReads(storage: Storage): { storage: Storage; calls: string[]; keysRead: () => number } {
  const calls: string[] = [];
  let keys = 0;
  const wrapped: Storage = Object.create(storage) as Storage;
  wrapped.readGroups = (k) => (calls.push("readGroups"), (keys += k.length), storage.readGroups(k));
  wrapped.readGroupSummaries = (k) => (calls.push("readGroupSummaries"), (keys += k.length), storage.readGroupSummaries(k));
  wrapped.readQuantileBins = (k, q) => (calls.push("readQuantileBins"), (keys += k.length), storage.readQuantileBins(k, q));
  wrapped.readChildSummaries = (k) => (calls.push("readChildSummaries"), (keys += k.length), storage.readChildSummaries(k));
  wrapped.readInstanceCounts = (k) => (calls.push("readInstanceCounts"), (keys += k.length), storage.readInstanceCounts(k));
  return { storage: wrapped, calls, keysRead: () => keys };
}

/** How the four fallback levels are reached: two instances in the asked group, three in a sibling that differs at `dropped`. */
const SIBLING_AT_LEVEL: Record<1 | 2 | 3, Partial<PredictionQuery>> = {
  1: { complexity: "high" },
  2: { task_type: "debugging" },
  3: { model: "gpt-5" },
};

/** The predictor's behaviour against one storage engine; each engine's test file runs these. */
export function predictorCases(open: OpenFreshStorage): void {
  let storage: Storage;
  let dispose: () => Promise<void>;
  beforeEach(async () => {
    ({ storage, dispose } = await open());
  });
  afterEach(async () => {
    await dispose();
  });

  describe("fallback", () => {
    it("answers at level 0 from an exact group that meets both minimums", async () => {
      await seedGroup(storage, BASE_QUERY, 5, 2, () => ({}), new Date("2026-11-28T12:34:56.000Z"));
      const [result] = await createPredictor(storage, THRESHOLDS).predict([BASE_QUERY]);
      expect(result?.query).toEqual(BASE_QUERY);
      expect(result?.metadata).toEqual({
        sample_size: 10,
        contributors: 5,
        fallback_level: 0,
        dimensions: ["provider", "model", "task_type", "complexity"],
        confidence: "low",
        last_updated: "2026-11-28T12:34:56.000Z",
      });
      expect(result?.prediction).not.toBeNull();
    });

    it("answers -1 and a null prediction when nothing is stored", async () => {
      const [result] = await createPredictor(storage, THRESHOLDS).predict([BASE_QUERY]);
      expect(result).toEqual({ query: BASE_QUERY, prediction: null, metadata: NO_ANSWER });
    });

    it.each([
      [1, ["provider", "model", "task_type"]],
      [2, ["provider", "model"]],
      [3, ["provider"]],
    ] as const)("falls back to level %i when the levels below have too few contributors", async (level, dimensions) => {
      await seedGroup(storage, BASE_QUERY, 2, 2);
      await seedGroup(storage, at(SIBLING_AT_LEVEL[level]), 3, 2);
      const [result] = await createPredictor(storage, THRESHOLDS).predict([BASE_QUERY]);
      expect(result?.metadata).toMatchObject({ fallback_level: level, dimensions, sample_size: 10, contributors: 5 });
      expect(result?.prediction).not.toBeNull();
    });

    it("answers -1 when even the provider alone has one instance too few", async () => {
      await seedGroup(storage, BASE_QUERY, 2, 20);
      await seedGroup(storage, at({ model: "gpt-5", task_type: "debugging" }), 2, 20);
      const [result] = await createPredictor(storage, THRESHOLDS).predict([BASE_QUERY]);
      expect(result?.metadata).toEqual(NO_ANSWER);
      expect(result?.prediction).toBeNull();
    });

    it("does not answer one provider's query from another provider's data", async () => {
      await seedGroup(storage, at({ provider: "openai", model: "gpt-5" }), 5, 2);
      const [result] = await createPredictor(storage, THRESHOLDS).predict([BASE_QUERY]);
      expect(result?.metadata.fallback_level).toBe(-1);
    });
  });

  describe("minimums at every level", () => {
    // The group answering at `level` has exactly 10 events from exactly 5 instances; one more
    // event or one more contributor demanded, and no level may answer.
    it.each([0, 1, 2, 3] as const)("level %i answers at exactly the minimums and not one below them", async (level) => {
      if (level === 0) await seedGroup(storage, BASE_QUERY, 5, 2);
      else {
        await seedGroup(storage, BASE_QUERY, 2, 2);
        await seedGroup(storage, at(SIBLING_AT_LEVEL[level]), 3, 2);
      }
      const answer = async (minEvents: number, minContributors: number) =>
        (await createPredictor(storage, { minEvents, minContributors }).predict([BASE_QUERY]))[0]?.metadata;
      expect(await answer(10, 5)).toMatchObject({ fallback_level: level, sample_size: 10, contributors: 5 });
      expect(await answer(11, 5)).toEqual(NO_ANSWER);
      expect(await answer(10, 6)).toEqual(NO_ANSWER);
    });

    it("refuses many events from one instance and one event from each of many instances alike", async () => {
      const { instance } = await seedInstance(storage);
      await sendEvents(storage, instance.id, BASE_QUERY, 100);
      expect((await createPredictor(storage, THRESHOLDS).predict([BASE_QUERY]))[0]?.metadata).toEqual(NO_ANSWER);
      const other = at({ model: "gpt-5" });
      await seedGroup(storage, other, 9, 1);
      expect((await createPredictor(storage, { minEvents: 10, minContributors: 1 }).predict([other]))[0]?.metadata.fallback_level).toBe(-1);
    });
  });

  describe("privacy remainder", () => {
    it("refuses a group whose remainder beyond its answered children is one instance, at every level above", async () => {
      // medium answers (5 instances); high is instance z alone. Each level above holds medium plus z,
      // so answering any of them would reveal z's events by subtracting medium.
      await seedGroup(storage, BASE_QUERY, 5, 2);
      await seedGroup(storage, at({ complexity: "high" }), 1, 20);
      const [medium, high, low] = await createPredictor(storage, THRESHOLDS).predict([
        BASE_QUERY,
        at({ complexity: "high" }),
        at({ complexity: "low" }),
      ]);
      expect(medium?.metadata.fallback_level).toBe(0);
      expect(high?.metadata).toEqual(NO_ANSWER);
      expect(low?.metadata).toEqual(NO_ANSWER);
    });

    it("answers the parent once the remainder itself meets the minimums", async () => {
      await seedGroup(storage, BASE_QUERY, 5, 2);
      await seedGroup(storage, at({ complexity: "high" }), 2, 3);
      await seedGroup(storage, at({ complexity: "low" }), 3, 2);
      const [high] = await createPredictor(storage, THRESHOLDS).predict([at({ complexity: "high" })]);
      expect(high?.metadata).toMatchObject({ fallback_level: 1, sample_size: 22, contributors: 10 });
    });

    it("refuses a level whose only qualifying child may not answer, and answers above once other data absorbs it", async () => {
      // Level 1 (task implementation) may not answer (remainder: instance z). Level 2 holds nothing
      // else, so it may not answer either; debugging data from 4 more instances makes level 2's
      // open part (z plus debugging) big enough.
      await seedGroup(storage, BASE_QUERY, 5, 2);
      await seedGroup(storage, at({ complexity: "high" }), 1, 3);
      const query = at({ complexity: "high" });
      expect((await createPredictor(storage, THRESHOLDS).predict([query]))[0]?.metadata).toEqual(NO_ANSWER);
      await seedGroup(storage, at({ task_type: "debugging" }), 4, 3);
      expect((await createPredictor(storage, THRESHOLDS).predict([query]))[0]?.metadata).toMatchObject({ fallback_level: 2, sample_size: 25 });
    });
  });

  describe("prediction values", () => {
    it("computes correction factors and rates from known data", async () => {
      // 10 events each way from 5 instances: input (10*1200 + 10*600) / 20000 = 0.9, output (10*250 + 10*500) / 10000 = 0.75.
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

    it("uses a correction factor of 1 when nothing was estimated", async () => {
      await seedGroup(storage, BASE_QUERY, 5, 2, () => ({ estimated_input_tokens: 0, estimated_output_tokens: 0 }));
      const [result] = await createPredictor(storage, THRESHOLDS).predict([BASE_QUERY]);
      expect(result?.prediction?.correction_factors).toEqual({ input: 1, output: 1 });
    });

    it("leaves events whose estimate is 0 (no estimate) out of the correction factors, and counts them elsewhere", async () => {
      // Even events estimate 1000 in / 500 out and use 1100 / 400; odd events have no estimate and
      // use far more. Counting their actuals would give (1100*5 + 9000*5) / 5000 = 10.1, not 1.1.
      await seedGroup(storage, BASE_QUERY, 5, 2, (_i, e) =>
        e % 2 === 0
          ? { estimated_input_tokens: 1000, actual_input_tokens: 1100, estimated_output_tokens: 500, actual_output_tokens: 400, outcome: "success" }
          : { estimated_input_tokens: 0, actual_input_tokens: 9000, estimated_output_tokens: 0, actual_output_tokens: 7000, outcome: "failure" },
      );
      const [result] = await createPredictor(storage, THRESHOLDS).predict([BASE_QUERY]);
      expect(result?.prediction?.correction_factors.input).toBeCloseTo(1.1, 12);
      expect(result?.prediction?.correction_factors.output).toBeCloseTo(0.8, 12);
      expect(result?.metadata.sample_size).toBe(10);
      expect(result?.prediction?.quality.success_rate).toBe(0.5);
    });

    it("applies the rule per token kind: an event may estimate input only, or output only", async () => {
      await seedGroup(storage, BASE_QUERY, 5, 2, (_i, e) =>
        e % 2 === 0
          ? { estimated_input_tokens: 1000, actual_input_tokens: 1500, estimated_output_tokens: 0, actual_output_tokens: 700 }
          : { estimated_input_tokens: 0, actual_input_tokens: 5000, estimated_output_tokens: 500, actual_output_tokens: 600 },
      );
      const [result] = await createPredictor(storage, THRESHOLDS).predict([BASE_QUERY]);
      expect(result?.prediction?.correction_factors.input).toBeCloseTo(1.5, 12);
      expect(result?.prediction?.correction_factors.output).toBeCloseTo(1.2, 12);
    });

    it("reports each metric's quantiles of the actual values within 1 %", async () => {
      // Instance i sends values i+1 times a base: sorted, the lower median (rank 4 of 10) is instance 2's.
      await seedGroup(storage, BASE_QUERY, 5, 2, (i) => ({
        actual_input_tokens: 1000 * (i + 1),
        actual_output_tokens: 300 * (i + 1),
        actual_cost_usd_micros: 7000 * (i + 1),
        task_duration_ms: 45_000 * (i + 1),
      }));
      const [result] = await createPredictor(storage, THRESHOLDS).predict([BASE_QUERY]);
      const prediction = result?.prediction;
      if (!prediction) throw new Error("expected a prediction");
      const within = (reported: number, exact: number) => expect(Math.abs(reported - exact) / exact).toBeLessThanOrEqual(RELATIVE_ACCURACY + 1e-9);
      // Ranks floor(q * 9): p10 0, p25 2, median 4, p75 6, p90 8 -> instances 0, 1, 2, 3, 4.
      const multiples = { p10: 1, p25: 2, median: 3, p75: 4, p90: 5 };
      for (const [name, m] of Object.entries(multiples) as [keyof typeof multiples, number][]) {
        within(prediction.input_tokens[name], 1000 * m);
        within(prediction.output_tokens[name], 300 * m);
        within(prediction.cost_usd_micros[name], 7000 * m);
        within(prediction.duration_ms[name], 45_000 * m);
      }
    });

    it("rates confidence high, medium and low by the documented rule", async () => {
      const { high, medium } = CONFIDENCE_RULE;
      await seedGroup(storage, BASE_QUERY, high.minContributors, high.minEvents / high.minContributors);
      // Another model: 30 events at level 1 (complexity only differs), answered at level 1.
      const other = at({ model: "gpt-5", complexity: "critical" });
      await seedGroup(storage, at({ model: "gpt-5" }), 5, medium.minEvents / 5);
      const [h, m, l] = await createPredictor(storage, THRESHOLDS).predict([BASE_QUERY, other, at({ model: "o3" })]);
      expect(h?.metadata).toMatchObject({ fallback_level: 0, confidence: "high" });
      expect(m?.metadata).toMatchObject({ fallback_level: 1, confidence: "medium" });
      expect(l?.metadata).toMatchObject({ fallback_level: 3, confidence: "low" });
    });
  });

  describe("batches", () => {
    it("answers 50 queries in order, each at its own level", async () => {
      for (let m = 0; m < 10; m += 1) await seedGroup(storage, at({ model: `m${m}` }), 5, 2);
      const queries = Array.from({ length: 50 }, (_, i) => at({ model: `m${i % 25}`, complexity: i % 2 === 0 ? "medium" : "high" }));
      const results = await createPredictor(storage, THRESHOLDS).predict(queries);
      expect(results).toHaveLength(50);
      results.forEach((result, i) => {
        const query = queries[i] as PredictionQuery;
        expect(result.query).toEqual(query);
        const seeded = i % 25 < 10;
        const expected = !seeded ? 3 : query.complexity === "medium" ? 0 : 1;
        expect(result.metadata.fallback_level, `query ${i}`).toBe(expected);
        expect(result.metadata.sample_size).toBe(seeded ? 10 : 100);
      });
    });

    it("reads storage a few times per request, however many queries and events", async () => {
      const reads = async (eventsPerInstance: number) => {
        const fresh = await open();
        try {
          for (let m = 0; m < 10; m += 1) await seedGroup(fresh.storage, at({ model: `m${m}` }), 5, eventsPerInstance);
          await seedGroup(fresh.storage, at({ model: "m0", complexity: "high" }), 1, 3);
          const counting = countingReads(fresh.storage);
          const queries = Array.from({ length: 50 }, (_, i) => at({ model: `m${i % 25}`, complexity: i % 2 === 0 ? "medium" : "high" }));
          await createPredictor(counting.storage, THRESHOLDS).predict(queries);
          return { calls: counting.calls, keys: counting.keysRead() };
        } finally {
          await fresh.dispose();
        }
      };
      const few = await reads(2);
      const many = await reads(20);
      expect(few.calls.filter((c) => c === "readGroupSummaries")).toHaveLength(1);
      expect(few.calls.filter((c) => c === "readQuantileBins")).toHaveLength(1);
      // Bins are located by the database: the predictor never reads whole sketches.
      expect(few.calls).not.toContain("readGroups");
      expect(few.calls.length).toBeLessThanOrEqual(10);
      expect(many).toEqual(few);
    });

    it("reads storage twice (summaries, then the answering groups' quantile bins) when every query answers at level 0", async () => {
      await seedGroup(storage, BASE_QUERY, 5, 2);
      await seedGroup(storage, at({ model: "gpt-5" }), 5, 2);
      const counting = countingReads(storage);
      const results = await createPredictor(counting.storage, THRESHOLDS).predict([BASE_QUERY, at({ model: "gpt-5" })]);
      expect(results.map((r) => r.metadata.fallback_level)).toEqual([0, 0]);
      expect(counting.calls).toEqual(["readGroupSummaries", "readQuantileBins"]);
    });

    it("answers repeated queries alike and an empty batch without reading storage", async () => {
      await seedGroup(storage, BASE_QUERY, 5, 2);
      const [a, b] = await createPredictor(storage, THRESHOLDS).predict([BASE_QUERY, BASE_QUERY]);
      expect(a).toEqual(b);
      const counting = countingReads(storage);
      expect(await createPredictor(counting.storage, THRESHOLDS).predict([])).toEqual([]);
      expect(counting.calls).toEqual([]);
    });

    it("passes a storage failure on as the rejection, not a crash or a wrong answer", async () => {
      const failing: Storage = Object.create(storage) as Storage;
      failing.readGroupSummaries = () => Promise.reject(new StorageUnavailableError("database is down"));
      await expect(createPredictor(failing, THRESHOLDS).predict([BASE_QUERY])).rejects.toBeInstanceOf(StorageUnavailableError);
      await seedGroup(storage, BASE_QUERY, 5, 2); // an answering group, so the quantiles are read
      const failingBins = countingReads(storage).storage; // the other reads still reach the real engine
      failingBins.readQuantileBins = () => Promise.reject(new StorageUnavailableError("database is down"));
      await expect(createPredictor(failingBins, THRESHOLDS).predict([BASE_QUERY])).rejects.toBeInstanceOf(StorageUnavailableError);
    });
  });
}
