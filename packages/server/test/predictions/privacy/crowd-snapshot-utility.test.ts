import { describe, expect, it } from "vitest";
import { computeCrowdSnapshot } from "../../../src/predictions/privacy/crowd-snapshot.js";
import { DEFAULT_PRIVACY_PARAMETERS } from "../../../src/predictions/privacy/privacy-parameters.js";
import { seededRandomIntegers } from "../../../src/predictions/privacy/random-integers.js";
import { REPORTED_QUANTILES } from "../../../src/predictions/quantiles.js";
import { logNormalInt, seededRandom } from "../seeded-random.js";
import { aggregateOf, eventOf, weightedQuantile } from "./synthetic-instances.js";

const THRESHOLDS = { minEvents: 10, minContributors: 5 };

/** 20 instances, 30 to 70 events each (about 1,000), all drawn from one log-normal distribution. */
function crowd(seed: number, median: number, sigma: number): number[][] {
  const random = seededRandom(seed);
  return Array.from({ length: 20 }, () => Array.from({ length: 30 + Math.floor(random() * 41) }, () => Math.max(1, logNormalInt(random, median, sigma))));
}

describe("crowd snapshot utility (goal 4)", () => {
  it.each([
    [1, 2_000, 0.5],
    [2, 60_000, 0.8],
    [3, 150, 0.3],
    [4, 12_000, 1.0],
  ])("seed %i: every quantile within 3 %% of the weighted exact one, p10-p90 covering 75-85 %% of held-out values", (seed, median, sigma) => {
    const values = crowd(seed, median, sigma);
    expect(values.flat().length).toBeGreaterThanOrEqual(1_000);
    const snapshot = computeCrowdSnapshot({
      groupKey: "g",
      instances: values.map((list, i) => aggregateOf(`i${String(i).padStart(2, "0")}`, list.map((v) => eventOf(v)))),
      thresholds: THRESHOLDS,
      parameters: DEFAULT_PRIVACY_PARAMETERS,
      random: seededRandomIntegers(`utility-${seed}`),
      computedAt: new Date("2026-12-01T10:00:00Z"),
      answeredBefore: false,
    });
    expect(snapshot.answers).toBe(true);
    const quantiles = snapshot.prediction?.input_tokens;
    for (const [name, q] of Object.entries(REPORTED_QUANTILES)) {
      const exact = weightedQuantile(values, q, THRESHOLDS.minContributors);
      const published = quantiles?.[name as keyof typeof quantiles] ?? 0;
      expect(Math.abs(published / exact - 1), `${name}: ${published} vs ${exact}`).toBeLessThanOrEqual(0.03);
    }
    const random = seededRandom(seed + 1000);
    const heldOut = Array.from({ length: 2_000 }, () => logNormalInt(random, median, sigma));
    const covered = heldOut.filter((v) => v >= (quantiles?.p10 ?? 0) && v <= (quantiles?.p90 ?? 0)).length / heldOut.length;
    expect(covered).toBeGreaterThanOrEqual(0.75);
    expect(covered).toBeLessThanOrEqual(0.85);
  });
});
