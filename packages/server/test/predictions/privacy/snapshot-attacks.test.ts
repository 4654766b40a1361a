import { describe, expect, it } from "vitest";
import type { InstanceAggregate } from "../../../src/aggregation/instance-aggregate.js";
import { logNormalInt, seededRandom } from "../seeded-random.js";
import { honestSet, priorGuess, snapshot, walk } from "./attack-scenarios.js";
import { aggregateOf, eventOf, weightedQuantile, type SyntheticEvent } from "./synthetic-instances.js";
import { recovered } from "./walk-attack.js";

/**
 * The attacks of issue 13 replayed against the snapshot mechanism itself . The attacker is the
 * strongest one: a fresh snapshot after every planted event (its clock passes the interval each
 * time), and it knows the honest weighted mass and its own.
 */

describe("order-statistic walk (goal 1)", () => {
  const SETS = 20;
  let prior = 0;
  const honestSorted: number[][] = [];
  for (let s = 0; s < SETS; s++) {
    const sorted = honestSet(100 + s).flat().sort((a, b) => a - b);
    honestSorted.push(sorted);
    prior += sorted.filter((value, k) => Math.abs(priorGuess(k) / value - 1) <= 0.1).length;
  }

  it("planting values above every real one, one at a time, recovers fewer honest values than guessing from the distribution", () => {
    let found = 0;
    for (let s = 0; s < SETS; s++) found += recovered(walk(honestSet(100 + s), () => 1e9, `literal-${s}`), honestSorted[s] as number[], 0.1);
    expect(found).toBeLessThan(prior);
  });

  it("sweeping its own mass from below every value to above recovers fewer than guessing too", () => {
    let found = 0;
    for (let s = 0; s < SETS; s++) found += recovered(walk(honestSet(100 + s), (j) => (j < 25 ? 1 : 1e9), `sweep-${s}`), honestSorted[s] as number[], 0.1);
    expect(found).toBeLessThan(prior);
  });

  it("recovers none of ten honest values spread 1.3x apart within 10 %", () => {
    const spread = Array.from({ length: 5 }, (_, i) => [Math.round(1_000 * 1.3 ** (2 * i)), Math.round(1_000 * 1.3 ** (2 * i + 1))]);
    const sorted = spread.flat().sort((a, b) => a - b);
    expect(recovered(walk(spread, (j) => (j < 25 ? 1 : 1e9), "spread"), sorted, 0.1)).toBe(0);
    expect(recovered(walk(spread, () => 1e9, "spread-literal"), sorted, 0.1)).toBe(0);
  });
});

describe("before and after one honest event (goal 1)", () => {
  it("the answers before and after one more honest event do not locate its value within 25 %", () => {
    // The attacker knows every other event; it picks, among candidate values, the one whose
    // noiseless answer is closest to the published change. It must be no better than chance.
    let hits = 0;
    const TRIALS = 30;
    for (let t = 0; t < TRIALS; t++) {
      const honest = honestSet(500 + t);
      const base = honest.map((values, i) => aggregateOf(`h${i}`, values.map((v) => eventOf(v))));
      const secret = logNormalInt(seededRandom(900 + t), 3_000, 0.8);
      const before = snapshot(base, `ba-${t}-0`, 0).prediction?.input_tokens;
      const after = snapshot([...base, aggregateOf("n-newcomer", [eventOf(secret)])], `ba-${t}-1`, 1, true).prediction?.input_tokens;
      if (!before || !after) continue;
      const moved = (["p10", "p25", "median", "p75", "p90"] as const).map((name) => after[name] - before[name]);
      // Up moves say the new value lies above that quantile, down moves below: the guess is the
      // geometric middle of the band the moves point to.
      const above = (["p10", "p25", "median", "p75", "p90"] as const).filter((_, i) => (moved[i] as number) > 0).map((name) => before[name]);
      const below = (["p10", "p25", "median", "p75", "p90"] as const).filter((_, i) => (moved[i] as number) < 0).map((name) => before[name]);
      const low = above.length > 0 ? Math.max(...above) : before.p10 / 2;
      const high = below.length > 0 ? Math.min(...below) : before.p90 * 2;
      const guess = Math.sqrt(low * Math.max(low, high));
      if (Math.abs(guess / secret - 1) <= 0.25) hits += 1;
    }
    // A guess of the distribution's median lands within 25 % of a log-normal(σ = 0.8) draw 27 % of the time.
    expect(hits / TRIALS).toBeLessThanOrEqual(0.35);
  });
});

describe("correction factors (goal 1)", () => {
  const withRatios = (ratios: readonly number[]): InstanceAggregate[] =>
    ratios.map((ratio, i) => aggregateOf(`h${i}`, [eventOf(Math.round(1_000 * ratio), { estimatedInput: 1_000, estimatedOutput: 1_000 }), eventOf(Math.round(2_000 * ratio), { estimatedInput: 2_000, estimatedOutput: 2_000 })]));
  const HONEST = [1.1, 1.2, 1.25, 1.3, 1.4];

  it("an event with an estimate of 0 stays out of the factors, whatever its actual tokens", () => {
    const attacker = (actual: number): InstanceAggregate => aggregateOf("z-attacker", [eventOf(actual, { estimatedInput: 0, estimatedOutput: 0 })]);
    const a = snapshot([...withRatios(HONEST), attacker(1_000_000)], "cf", 0, true).prediction?.correction_factors;
    const b = snapshot([...withRatios(HONEST), attacker(7_777_777)], "cf", 0, true).prediction?.correction_factors;
    expect(a).toBeDefined();
    expect(a).toEqual(b);
  });

  it("the factors do not follow an instance's sums: any two huge actual totals give the same answer", () => {
    const attacker = (actual: number): InstanceAggregate => aggregateOf("z-attacker", [eventOf(actual, { estimatedInput: 1, estimatedOutput: 1 })]);
    const a = snapshot([...withRatios(HONEST), attacker(1_000_000)], "cf-sums", 0, true).prediction?.correction_factors;
    const b = snapshot([...withRatios(HONEST), attacker(123_456_789)], "cf-sums", 0, true).prediction?.correction_factors;
    expect(a).toBeDefined();
    expect(a).toEqual(b);
  });

  it("in a crowd of 40 the factor is the median of the instances' ratios within 10 %", () => {
    const ratios = Array.from({ length: 40 }, (_, i) => 0.8 + (i % 20) * 0.05);
    const crowd = ratios.map((ratio, i) => aggregateOf(`c${String(i).padStart(2, "0")}`, Array.from({ length: 40 }, (_, e) => eventOf(Math.round(1_000 * ratio), { estimatedInput: 1_000, estimatedOutput: 1_000, success: e % 2 === 0 }))));
    const prediction = snapshot(crowd, "cf-crowd", 0).prediction;
    expect(Math.abs((prediction?.correction_factors.input ?? 0) / 1.275 - 1)).toBeLessThanOrEqual(0.1);
    expect(prediction?.quality.success_rate).toBeCloseTo(0.5, 1);
  });

  it("planting ratios does not put the factor on one instance's ratio: below 4k instances with estimates it is 1", () => {
    // The attack: five honest instances with distinct ratios; the published median was one of them,
    // and 20 planted events at ratio 0.05 moved it onto the next one down.
    const honest = [1.1, 1.3, 1.6, 2.0, 2.5].map((ratio, i) =>
      aggregateOf(`h${i}`, Array.from({ length: 20 }, (_, j) => eventOf(5_000 + j * 10, { estimatedInput: Math.round((5_000 + j * 10) / ratio), estimatedOutput: 1_000 }))),
    );
    const attacker = aggregateOf("z-attacker", Array.from({ length: 20 }, () => eventOf(5_000, { estimatedInput: 100_000 })));
    for (let hour = 0; hour < 3; hour++) {
      expect(snapshot(honest, `cf-h-${hour}`, hour, true).prediction?.correction_factors.input).toBe(1);
      expect(snapshot([...honest, attacker], `cf-a-${hour}`, hour, true).prediction?.correction_factors.input).toBe(1);
    }
  });
});

describe("bounded influence and fallback (goal 2)", () => {
  const random = seededRandom(77);
  const honest = Array.from({ length: 20 }, () => Array.from({ length: 50 }, () => logNormalInt(random, 2_000, 0.5)));
  const honestAggregates = honest.map((values, i) => aggregateOf(`h${String(i).padStart(2, "0")}`, values.map((v) => eventOf(v))));

  it("one instance planting 5,000 huge values moves the median no further than one contributor's share", () => {
    const attacker = aggregateOf("z-attacker", Array.from({ length: 5_000 }, () => eventOf(1e9)));
    const median = snapshot([...honestAggregates, attacker], "influence", 0).prediction?.input_tokens.median ?? 0;
    // The attacker weighs as much as the 5th busiest instance (50 events): 1/21 of the mass.
    expect(median).toBeLessThanOrEqual(weightedQuantile(honest, 0.5 + 1 / 20, 5) * 1.03);
    expect(median).toBeGreaterThanOrEqual(weightedQuantile(honest, 0.5, 5) * 0.97);
  });

  it("a group that answered keeps answering whatever one instance sends", () => {
    const five = honestAggregates.slice(0, 5).map((a) => aggregateOf(a.instanceId, Array.from({ length: 6 }, (_, e) => eventOf(100 + 10 * e))));
    const first = snapshot(five, "sticky-0", 0);
    expect(first.answers).toBe(true);
    const lone: SyntheticEvent[] = Array.from({ length: 400 }, () => eventOf(5));
    const later = snapshot([...five, aggregateOf("z-attacker", lone)], "sticky-1", 1, first.answers);
    expect(later.answers).toBe(true);
  });

  it("never answers from fewer instances than the contributor minimum", () => {
    const four = honestAggregates.slice(0, 4);
    expect(snapshot(four, "few", 0).answers).toBe(false);
    expect(snapshot(four, "few", 0, true).answers).toBe(false);
  });
});
