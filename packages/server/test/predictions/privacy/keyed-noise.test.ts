import { describe, expect, it } from "vitest";
import { computeCrowdSnapshot } from "../../../src/predictions/privacy/crowd-snapshot.js";
import { discreteLaplace } from "../../../src/predictions/privacy/discrete-laplace.js";
import type { InstanceAggregate } from "../../../src/aggregation/instance-aggregate.js";
import { SketchBins } from "../../../src/aggregation/sketch-bins.js";
import { ZERO_BIN } from "../../../src/aggregation/sketch-mapping.js";
import { sketchEntries } from "../../helpers/sketch-entries.js";
import { keyedSnapshotNoise } from "../../../src/predictions/privacy/keyed-noise.js";
import { DEFAULT_PRIVACY_PARAMETERS } from "../../../src/predictions/privacy/privacy-parameters.js";
import type { RandomIntegers } from "../../../src/predictions/privacy/random-integers.js";
import { snapshotFingerprint } from "../../../src/predictions/privacy/snapshot-fingerprint.js";
import { logNormalInt, seededRandom } from "../seeded-random.js";
import { aggregateOf, eventOf } from "./synthetic-instances.js";

const SECRET = new Uint8Array(32).fill(7);
const OTHER_SECRET = new Uint8Array(32).fill(8);

function crowd(extra = 0): InstanceAggregate[] {
  const random = seededRandom(5);
  return Array.from({ length: 8 }, (_, i) =>
    aggregateOf(
      `inst-${i}`,
      Array.from({ length: 6 + (i === 3 ? extra : 0) }, () => eventOf(logNormalInt(random, 2_000, 0.5), { estimatedInput: 1_500 })),
    ),
  );
}

const draws = (random: RandomIntegers, n = 16): number[] => Array.from({ length: n }, () => random.below(2 ** 40));

function snapshotAt(groupKey: string, hour: number, instances: readonly InstanceAggregate[], noise: (instances: readonly InstanceAggregate[]) => RandomIntegers) {
  return computeCrowdSnapshot({
    groupKey,
    instances,
    thresholds: { minEvents: 10, minContributors: 5 },
    parameters: DEFAULT_PRIVACY_PARAMETERS,
    random: noise(instances),
    computedAt: new Date(Date.UTC(2026, 11, 1, hour)),
    answeredBefore: false,
  });
}

describe("keyed snapshot noise", () => {
  const noise = keyedSnapshotNoise(SECRET);

  it("the same data gives the same snapshot at two fallback levels within one window", () => {
    const level0 = snapshotAt("anthropic|m|implementation|high", 0, crowd(), (instances) => noise(instances, 7));
    const level1 = snapshotAt("anthropic|m|implementation", 0, crowd().reverse(), (instances) => noise(instances, 7));
    expect(level0.answers).toBe(true);
    expect({ ...level1, groupKey: "" }).toEqual({ ...level0, groupKey: "" });
  });

  it("another window draws afresh, so an unchanged group does not show that nobody reported", () => {
    expect(draws(noise(crowd(), 8))).not.toEqual(draws(noise(crowd(), 7)));
  });

  it("other mechanism settings draw afresh: a draw is never reused on other weights", () => {
    expect(draws(keyedSnapshotNoise(SECRET, "k=6")(crowd(), 7))).not.toEqual(draws(keyedSnapshotNoise(SECRET, "k=5")(crowd(), 7)));
  });

  it("one more event gives independent draws, in every forked stream", () => {
    expect(draws(noise(crowd(1), 7))).not.toEqual(draws(noise(crowd(), 7)));
    expect(draws(noise(crowd(1), 7).fork("input_tokens"))).not.toEqual(draws(noise(crowd(), 7).fork("input_tokens")));
    // Forks of one snapshot are streams of their own.
    expect(draws(noise(crowd(), 7).fork("input_tokens"))).not.toEqual(draws(noise(crowd(), 7).fork("output_tokens")));
  });

  it("the fingerprint follows the data, not the order of instances or when they last reported", () => {
    const base = crowd();
    const moved = crowd().map((instance) => ({ ...instance, lastUpdated: new Date(0) }));
    expect(snapshotFingerprint(moved.reverse())).toEqual(snapshotFingerprint(base));
    const oneSum = crowd().map((instance, i) => (i === 2 ? { ...instance, successes: instance.successes - 1 } : instance));
    expect(snapshotFingerprint(oneSum)).not.toEqual(snapshotFingerprint(base));
  });

  it("the fingerprint of a sketch is the same from either engine's stored bytes and from a Map, and moves with one bin", () => {
    const pairs = [[ZERO_BIN, 2], [5, 1], [9, 4], [300, 7]] as const;
    const stored = (littleEndian: boolean): SketchBins => new SketchBins(sketchEntries(pairs, littleEndian), littleEndian);
    const withInput = (bins: ReadonlyMap<number, number>): InstanceAggregate[] => crowd().map((instance, i) => (i === 0 ? { ...instance, bins: { ...instance.bins, input_tokens: bins } } : instance));
    const sqlite = snapshotFingerprint(withInput(stored(true)));
    expect(snapshotFingerprint(withInput(stored(false)))).toEqual(sqlite);
    // A Map in another order, with a zero count, holds the same sketch.
    expect(snapshotFingerprint(withInput(new Map([[300, 7], [9, 4], [4, 0], [ZERO_BIN, 2], [5, 1]])))).toEqual(sqlite);
    expect(snapshotFingerprint(withInput(new Map([[ZERO_BIN, 2], [5, 1], [9, 4], [301, 7]])))).not.toEqual(sqlite);
  });

  it("another secret gives other draws", () => {
    expect(draws(keyedSnapshotNoise(OTHER_SECRET)(crowd(), 7))).not.toEqual(draws(noise(crowd(), 7)));
  });

  it("refuses a short secret", () => {
    expect(() => keyedSnapshotNoise(new Uint8Array(16))).toThrow(RangeError);
  });

  it("draws uniform integers and discrete Laplace noise with the right distribution", () => {
    const random = noise(crowd(), 7);
    const counts = new Array<number>(6).fill(0);
    for (let i = 0; i < 60_000; i++) counts[random.below(6)]! += 1;
    for (const count of counts) expect(Math.abs(count - 10_000)).toBeLessThan(600);
    const laplace = noise(crowd(), 7).fork("laplace");
    const n = 50_000;
    const alpha = Math.exp(-1 / 2);
    const seen = new Map<number, number>();
    for (let i = 0; i < n; i++) {
      const x = discreteLaplace(laplace, { numerator: 2, denominator: 1 });
      seen.set(x, (seen.get(x) ?? 0) + 1);
    }
    for (const x of [-2, -1, 0, 1, 2]) {
      const expected = ((1 - alpha) / (1 + alpha)) * Math.pow(alpha, Math.abs(x));
      expect(Math.abs((seen.get(x) ?? 0) / n - expected)).toBeLessThan(0.01);
    }
  });
});
