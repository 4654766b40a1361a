import { describe, expect, it } from "vitest";
import type { InstanceAggregate } from "../../../src/aggregation/instance-aggregate.js";
import { logNormalInt, seededRandom } from "../seeded-random.js";
import { TAIL_SECRETS, snapshot, tailRead } from "./attack-scenarios.js";
import { aggregateOf, eventOf } from "./synthetic-instances.js";

/**
 * The tail attacks found against the first snapshot mechanism, replayed: one key in a large
 * group (5 busy honest instances, 100 log-normal events each around 5,000) plants its capped
 * mass above every value, so p90 falls on the top honest event, and a few "lighthouse" values
 * at 150,000 so the stretch of domain around that event is released. With the noise shrunk 16x
 * by the group's size (the attacker's own mass counted in it), p90 read the value within 4-8 %.
 */

function busyHonest(seed: number): InstanceAggregate[] {
  const random = seededRandom(seed);
  return Array.from({ length: 5 }, (_, i) => aggregateOf(`busy${i}`, Array.from({ length: 100 }, () => eventOf(logNormalInt(random, 5_000, 0.4)))));
}

const attacker = (lighthouses: number, above: number): InstanceAggregate =>
  aggregateOf("z-attacker", [...Array.from({ length: lighthouses }, () => eventOf(150_000)), ...Array.from({ length: above }, () => eventOf(1e9))]);

/** The attacker's read: the median p90 over three intervals. */
function readP90(instances: readonly InstanceAggregate[], seed: string, firstHour: number): number {
  const reads = [0, 1, 2].map((h) => snapshot(instances, `${seed}-${h}`, firstHour + h, true).prediction?.input_tokens.p90 ?? 0).sort((a, b) => a - b);
  return reads[1] as number;
}

describe("tail attacks in a large group (goal 1)", () => {
  it("before and after one honest event far in the tail, p90 does not locate its value within 25 %", () => {
    for (const [t, secret] of [20_000, 40_000, 70_000, 120_000].entries()) {
      const honest = busyHonest(40 + t);
      const before = readP90([...honest, attacker(4, 51)], `ba-${t}-before`, 0);
      const withSecret = honest.map((instance, i) => (i === 2 ? aggregateOf(instance.instanceId, [...Array.from({ length: 100 }, () => eventOf(5_000)), eventOf(secret)]) : instance));
      const after = readP90([...withSecret, attacker(4, 51)], `ba-${t}-after`, 3);
      expect(after, `secret ${secret}: before ${before}, after ${after}`).toBeGreaterThan(0);
      expect(Math.abs(after / secret - 1), `secret ${secret}: p90 after ${after}`).toBeGreaterThan(0.25);
    }
  });

  it("sweeping its mass above every value does not walk p90 onto a victim instance's two rare events", () => {
    const victim = aggregateOf("victim", [eventOf(60_000), eventOf(90_000)]);
    for (const lighthouses of [0, 4]) {
      for (let above = 52; above <= 58; above++) {
        const p90 = readP90([...busyHonest(7), victim, attacker(lighthouses, above)], `sweep-${lighthouses}-${above}`, 10 * above);
        for (const value of [60_000, 90_000]) expect(Math.abs(p90 / value - 1), `mass ${above}, lighthouses ${lighthouses}: p90 ${p90}`).toBeGreaterThan(0.25);
      }
    }
  });

  it("in a group of 20 instances, where the noise is at its smallest, one key does not read a lone honest tail event", () => {
    // One key weighs at most as much as the 5th busiest instance (50 of about 1,050 events), too
    // little to put p90 above the honest bulk, whatever it plants.
    expect(tailRead(1, "cap-one-key")).toBe(0);
    expect(TAIL_SECRETS.length).toBe(8);
  });
});
