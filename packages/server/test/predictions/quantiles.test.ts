import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { DDSketch } from "../helpers/ddsketch.js";
import { quantileFromBins, quantilesFromBins, REPORTED_QUANTILES } from "../../src/predictions/quantiles.js";
import { RELATIVE_ACCURACY, ZERO_BIN, binValue, sketchBin } from "../../src/aggregation/sketch-mapping.js";
import { logNormalInt, seededRandom } from "./seeded-random.js";

const QS = Object.values(REPORTED_QUANTILES);
// Floating point in log/pow can put a value a hair past the bound; 1e-9 relative is far below 1 %.
const BOUND = RELATIVE_ACCURACY + 1e-9;

/** The exact lower quantile: the value at 0-based rank floor(q (n - 1)) of the sorted values. */
function exactLowerQuantile(sorted: readonly number[], q: number): number {
  const value = sorted[Math.floor(q * (sorted.length - 1))];
  if (value === undefined) throw new Error("empty");
  return value;
}

function binsOf(values: readonly number[]): Map<number, number> {
  const bins = new Map<number, number>();
  for (const value of values) {
    const bin = sketchBin(value);
    bins.set(bin, (bins.get(bin) ?? 0) + 1);
  }
  return bins;
}

function expectWithinBound(values: readonly number[]): void {
  const sorted = [...values].sort((a, b) => a - b);
  const bins = binsOf(values);
  for (const q of QS) {
    const exact = exactLowerQuantile(sorted, q);
    const reported = quantileFromBins(bins, q);
    if (reported === null) throw new Error("no quantile from non-empty bins");
    if (exact === 0) expect(reported, `q=${q}`).toBe(0);
    else expect(Math.abs(reported - exact) / exact, `q=${q} exact=${exact} reported=${reported}`).toBeLessThanOrEqual(BOUND);
  }
}

/** 100k heavy-tailed values: log-normal tokens and costs, with zeros and small integers mixed in. */
function heavyTailed(seed: number, median: number, sigma: number): number[] {
  const random = seededRandom(seed);
  return Array.from({ length: 100_000 }, () => {
    const pick = random();
    if (pick < 0.05) return 0;
    if (pick < 0.15) return Math.floor(random() * 20);
    return logNormalInt(random, median, sigma);
  });
}

describe("quantiles from DDSketch bins", () => {
  it.each([
    ["input tokens", 1, 8_000, 1.2],
    ["output tokens", 2, 1_500, 1.5],
    ["cost in micro-dollars (very heavy tail)", 3, 40_000, 2.5],
    ["duration in ms", 4, 90_000, 1.0],
  ])("every reported quantile of 100k %s is within 1 %% of the exact lower quantile", (_name, seed, median, sigma) => {
    expectWithinBound(heavyTailed(seed, median, sigma));
  });

  it("is within 1 % on data sets of zeros and small integers, where the lower rank matters most", () => {
    expectWithinBound([0, 0, 0, 1, 2]);
    expectWithinBound([1, 2, 3, 4]);
    expectWithinBound(Array.from({ length: 1000 }, (_, i) => i % 7));
    expectWithinBound([5]);
  });

  it("holds the bound for any set of non-negative integers (property)", () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 2_000_000_000 }), { minLength: 1, maxLength: 200 }), (values) => {
        expectWithinBound(values);
      }),
      { numRuns: 300, seed: 42 },
    );
  });

  it("uses the lower quantile: rank floor(q (n - 1)), not an interpolation", () => {
    // Sorted 10, 1000, 100000, 10000000: the median rank is floor(0.5 * 3) = 1, so the median is ~1000.
    const bins = binsOf([10_000_000, 10, 100_000, 1000]);
    expect(quantileFromBins(bins, 0.5)).toBe(binValue(sketchBin(1000)));
    expect(quantileFromBins(bins, 0.9)).toBe(binValue(sketchBin(100_000)));
    expect(quantileFromBins(bins, 0.1)).toBe(binValue(sketchBin(10)));
  });

  it("walks the zero bin first, although its index is not the smallest possible value", () => {
    const bins = new Map([
      [sketchBin(5), 1],
      [ZERO_BIN, 3],
    ]);
    expect(quantileFromBins(bins, 0.5)).toBe(0);
    expect(quantileFromBins(bins, 1)).toBe(binValue(sketchBin(5)));
  });

  it("answers null for empty bins (zero counts included), and rejects a q outside [0, 1]", () => {
    expect(quantileFromBins(new Map(), 0.5)).toBeNull();
    expect(quantileFromBins(new Map([[3, 0]]), 0.5)).toBeNull();
    expect(quantilesFromBins(new Map())).toEqual({ p10: 0, p25: 0, median: 0, p75: 0, p90: 0 });
    expect(() => quantileFromBins(new Map([[1, 1]]), 1.5)).toThrow(RangeError);
    expect(() => quantileFromBins(new Map([[1, 1]]), Number.NaN)).toThrow(RangeError);
  });

  it("reports the five quantiles by name", () => {
    const values = Array.from({ length: 101 }, (_, i) => i * 100);
    const q = quantilesFromBins(binsOf(values));
    const expected = { p10: 1000, p25: 2500, median: 5000, p75: 7500, p90: 9000 };
    for (const [name, exact] of Object.entries(expected)) {
      expect(Math.abs(q[name as keyof typeof q] - exact) / exact, name).toBeLessThanOrEqual(BOUND);
    }
  });
});

describe("DDSketch", () => {
  it("merging sketches of parts gives the bins and quantiles of one sketch over the union", () => {
    const values = heavyTailed(7, 5_000, 1.8);
    const whole = new DDSketch();
    for (const value of values) whole.add(value);
    const parts = [new DDSketch(), new DDSketch(), new DDSketch()];
    values.forEach((value, i) => parts[i % 3]?.add(value));
    const merged = new DDSketch();
    for (const part of parts) merged.merge(part);

    expect(merged.count).toBe(values.length);
    expect(merged.bins()).toEqual(whole.bins());
    for (const q of QS) expect(merged.quantile(q)).toBe(whole.quantile(q));
  });

  it("adds a value several times at once, and rejects negative, non-finite values and bad counts", () => {
    const sketch = new DDSketch().add(100, 3).add(0);
    expect(sketch.count).toBe(4);
    expect(sketch.quantile(0)).toBe(0);
    expect(sketch.quantile(0.5)).toBe(binValue(sketchBin(100)));
    expect(() => sketch.add(-1)).toThrow(RangeError);
    expect(() => sketch.add(Number.POSITIVE_INFINITY)).toThrow(RangeError);
    expect(() => sketch.add(1, 1.5)).toThrow(RangeError);
    expect(new DDSketch().quantile(0.5)).toBeNull();
  });
});
