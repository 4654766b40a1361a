import { describe, expect, it } from "vitest";
import { bernoulliExp, discreteLaplace } from "../../../src/predictions/privacy/discrete-laplace.js";
import { apportion, instanceUnits, weightCap } from "../../../src/predictions/privacy/instance-weights.js";
import { keystreamRandomIntegers, uniformBelow } from "../../../src/predictions/privacy/random-integers.js";
import { seededRandomIntegers } from "../../helpers/seeded-noise.js";

describe("random integers", () => {
  it("a seed gives the same stream every time, and forks are independent of the parent's draws", () => {
    const a = seededRandomIntegers("s");
    const b = seededRandomIntegers("s");
    expect(Array.from({ length: 20 }, () => a.below(1000))).toEqual(Array.from({ length: 20 }, () => b.below(1000)));
    const c = seededRandomIntegers("s");
    c.below(7);
    expect(c.fork("x").below(1_000_000)).toBe(seededRandomIntegers("s").fork("x").below(1_000_000));
  });

  it("draws every value below the bound about equally often (seeded and the keyed keystream)", () => {
    for (const random of [seededRandomIntegers("uniform"), keystreamRandomIntegers(new Uint8Array(32).fill(7))]) {
      const counts = new Array<number>(6).fill(0);
      for (let i = 0; i < 60_000; i++) counts[random.below(6)]! += 1;
      for (const count of counts) expect(Math.abs(count - 10_000)).toBeLessThan(600);
    }
  });

  it("below(bound) is value mod bound, exactly, for 48-bit values and bounds up to 2^47 (no fmod)", () => {
    const random = seededRandomIntegers("remainders");
    const bounds = [2, 3, 7, 16, 1_000, 2 ** 31 - 1, 2 ** 31 + 1, 2 ** 40 + 3, 2 ** 47 - 1, 2 ** 47];
    for (const bound of bounds) {
      // Values just under the rejection limit and around multiples of the bound, where a rounded quotient would show.
      const limit = 2n ** 48n - (2n ** 48n % BigInt(bound));
      const values = [0n, 1n, BigInt(bound) - 1n, BigInt(bound), limit - 1n, limit - BigInt(bound), limit - BigInt(bound) - 1n];
      for (let i = 0; i < 200; i++) values.push(BigInt(random.below(2 ** 47)) * 2n % limit);
      for (const value of values) {
        const below = uniformBelow(() => Number(value));
        expect(below(bound), `${value} mod ${bound}`).toBe(Number(value % BigInt(bound)));
      }
    }
  });

  it("refuses a bound that is not a positive integer", () => {
    expect(() => seededRandomIntegers("x").below(0)).toThrow(RangeError);
    expect(() => keystreamRandomIntegers(new Uint8Array(32).fill(7)).below(1.5)).toThrow(RangeError);
  });
});

describe("discrete Laplace", () => {
  it("Bernoulli(exp(-n/d)) has the right mean, also above 1", () => {
    const random = seededRandomIntegers("bern");
    for (const [n, d] of [[1, 2], [3, 2], [5, 1]] as const) {
      let hits = 0;
      for (let i = 0; i < 40_000; i++) if (bernoulliExp(random, n, d)) hits += 1;
      expect(hits / 40_000).toBeCloseTo(Math.exp(-n / d), 2);
    }
  });

  it("matches P(x) ∝ exp(-|x| / scale) for scale 2 and scale 1/2", () => {
    for (const [numerator, denominator] of [[2, 1], [1, 2]] as const) {
      const random = seededRandomIntegers(`dl-${numerator}-${denominator}`);
      const scale = numerator / denominator;
      const alpha = Math.exp(-1 / scale);
      const n = 50_000;
      const counts = new Map<number, number>();
      for (let i = 0; i < n; i++) {
        const x = discreteLaplace(random, { numerator, denominator });
        counts.set(x, (counts.get(x) ?? 0) + 1);
      }
      for (const x of [-2, -1, 0, 1, 2]) {
        const expected = ((1 - alpha) / (1 + alpha)) * Math.pow(alpha, Math.abs(x));
        expect(Math.abs((counts.get(x) ?? 0) / n - expected)).toBeLessThan(0.01);
      }
    }
  });
});

describe("instance weights", () => {
  it("caps at the k-th busiest instance, a cap that never falls when instances or events are added", () => {
    expect(weightCap([50, 2, 2, 2, 2, 2], 5)).toBe(2);
    expect(weightCap([50, 2, 2, 2, 2, 2, 1, 1, 1], 5)).toBe(2);
    expect(weightCap([50, 40, 30, 20, 10, 5], 5)).toBe(10);
    expect(weightCap([3, 1], 5)).toBe(1);
    expect(instanceUnits(5_000, 2)).toBe(instanceUnits(2, 2));
  });

  it("apportions units exactly, in proportion, deterministically", () => {
    const parts = new Map([[3, 1], [1, 1], [2, 1]]);
    const split = apportion(parts, 16);
    expect([...split.values()].reduce((a, b) => a + b, 0)).toBe(16);
    expect(split).toEqual(new Map([[1, 6], [2, 5], [3, 5]]));
  });
});
