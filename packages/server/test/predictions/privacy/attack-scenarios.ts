import type { CrowdSnapshot } from "../../../src/predictions/privacy/crowd-snapshot.js";
import { computeCrowdSnapshot } from "../../../src/predictions/privacy/crowd-snapshot.js";
import type { InstanceAggregate } from "../../../src/aggregation/instance-aggregate.js";
import { DEFAULT_PRIVACY_PARAMETERS, type PrivacyParameters } from "../../../src/predictions/privacy/privacy-parameters.js";
import { logNormalInt, seededRandom } from "../seeded-random.js";
import { aggregateOf, eventOf } from "./synthetic-instances.js";
import { walkEstimates, type WalkObservation } from "./walk-attack.js";
import { seededRandomIntegers } from "../../helpers/seeded-noise.js";

/** The attack scenarios of issue 13 over the snapshot mechanism, shared by the tests and the table script. */

export const THRESHOLDS = { minEvents: 10, minContributors: 5 };
const HOUR = 3_600_000;

/** A snapshot of `instances` computed `hour` hours into the scenario, with a seeded stream. */
export function snapshot(instances: readonly InstanceAggregate[], seed: string, hour: number, answeredBefore = false, parameters: PrivacyParameters = DEFAULT_PRIVACY_PARAMETERS): CrowdSnapshot {
  return computeCrowdSnapshot({
    groupKey: "g",
    instances,
    thresholds: THRESHOLDS,
    parameters,
    random: seededRandomIntegers(seed),
    computedAt: new Date(Date.UTC(2026, 11, 1) + hour * HOUR),
    answeredBefore,
  });
}

/** Five honest instances with two events each, from a log-normal around 3,000 (the rare tuple). */
export function honestSet(seed: number): number[][] {
  const random = seededRandom(seed);
  return Array.from({ length: 5 }, () => [logNormalInt(random, 3_000, 0.8), logNormalInt(random, 3_000, 0.8)]);
}

/** An attacker who knows the distribution and never queries: its guess of order statistic k of 10. */
export function priorGuess(k: number): number {
  const p = (k + 0.5) / 10;
  // Inverse normal CDF (Winitzki's approximation): good to 1e-3, enough for a guess.
  const x = 2 * p - 1;
  const a = 0.147;
  const l = Math.log(1 - x * x);
  const t = 2 / (Math.PI * a) + l / 2;
  const z = Math.SQRT2 * Math.sign(x) * Math.sqrt(Math.sqrt(t * t - l / a) - t);
  return 3_000 * Math.exp(0.8 * z);
}

/** Runs the walk: 50 planted events, `plant(j)` the j-th value, a snapshot after each. */
export function walk(honest: readonly number[][], plant: (j: number) => number, seed: string, parameters: PrivacyParameters = DEFAULT_PRIVACY_PARAMETERS): (number | null)[] {
  const planted: number[] = [];
  const observations: WalkObservation[] = [];
  for (let j = 0; j < 50; j++) {
    planted.push(plant(j));
    const instances = [...honest.map((values, i) => aggregateOf(`h${i}`, values.map((v) => eventOf(v)))), aggregateOf("z-attacker", planted.map((v) => eventOf(v)))];
    const published = snapshot(instances, `${seed}-${j}`, j, j > 0, parameters);
    // Its weight is capped at the 5th busiest instance's count: 2 events.
    const mass = Math.min(planted.length, 2);
    const below = (planted.filter((v) => v <= 1).length / planted.length) * mass;
    if (published.prediction) observations.push({ attackerBelow: below, attackerMass: mass, quantiles: published.prediction.input_tokens });
  }
  return walkEstimates(observations, 10, 10);
}

/** The lone honest tail events the tail read tries to locate, one group each. */
export const TAIL_SECRETS = [20_000, 25_000, 30_000, 40_000, 50_000, 70_000, 90_000, 120_000] as const;

/**
 * The tail read in a large group, where the size factor is at its cap: 20 honest instances of 50
 * events (log-normal around 5,000), one of them with one more event, `secret`, far in the tail.
 * The attacker spreads over `keys` instance keys the mass that puts p90 on the top honest event
 * (each key's weight is capped at the 5th busiest instance's, 50 events), plus four "lighthouse"
 * events at 1.6 x the secret so the stretch around it is released, and reads p90 over three
 * intervals (median). Returns how many of the TAIL_SECRETS it reads within 25 %.
 */
export function tailRead(keys: number, seed: string, parameters: PrivacyParameters = DEFAULT_PRIVACY_PARAMETERS): number {
  let hits = 0;
  for (const [t, secret] of TAIL_SECRETS.entries()) {
    const random = seededRandom(300 + t);
    const honest = Array.from({ length: 20 }, (_, i) =>
      aggregateOf(`h${String(i).padStart(2, "0")}`, [...Array.from({ length: 50 }, () => eventOf(logNormalInt(random, 5_000, 0.4))), ...(i === 2 ? [eventOf(secret)] : [])]),
    );
    const lighthouses = 4;
    // Attacker mass above every value so that it and the lighthouses are 10 % of the whole.
    const above = Math.round((0.1 * 1_001 - lighthouses - 0.5) / 0.9);
    const perKey = Math.ceil(above / keys);
    const attackers = Array.from({ length: keys }, (_, k) =>
      aggregateOf(`z${k}`, [...(k === 0 ? Array.from({ length: lighthouses }, () => eventOf(Math.round(secret * 1.6))) : []), ...Array.from({ length: Math.max(0, Math.min(perKey, above - k * perKey)) }, () => eventOf(1e9))]),
    );
    const reads = [0, 1, 2].map((h) => snapshot([...honest, ...attackers], `${seed}-${t}-${h}`, h, true, parameters).prediction?.input_tokens.p90 ?? 0).sort((a, b) => a - b);
    if (Math.abs((reads[1] as number) / secret - 1) <= 0.25) hits += 1;
  }
  return hits;
}
