/**
 * Prints the privacy parameter vs accuracy table of docs/predictions.md:
 *   npx tsx packages/server/test/predictions/privacy/privacy-table.ts
 * Utility: 40 groups of 20 instances with 30 to 70 events each (about 1,000), log-normal with
 * σ from 0.3 to 1.0; worst and 95th-percentile relative error of the 20 input-token quantiles
 * against the exact weighted quantiles, groups with any quantile beyond 3 %, and how much of
 * 500 held-out values per group the p10-p90 band covers. Privacy: the walk of issue 13 over 20
 * honest sets (5 instances, 2 events each), honest values recovered within 10 %, against an
 * attacker who only guesses from the distribution.
 */
import { computeCrowdSnapshot } from "../../../src/predictions/privacy/crowd-snapshot.js";
import type { PrivacyParameters } from "../../../src/predictions/privacy/privacy-parameters.js";
import { seededRandomIntegers } from "../../../src/predictions/privacy/random-integers.js";
import { REPORTED_QUANTILES } from "../../../src/predictions/quantiles.js";
import { logNormalInt, seededRandom } from "../seeded-random.js";
import { THRESHOLDS, honestSet, priorGuess, walk } from "./attack-scenarios.js";
import { aggregateOf, eventOf, weightedQuantile } from "./synthetic-instances.js";
import { recovered } from "./walk-attack.js";

function utility(parameters: PrivacyParameters): string {
  const errors: number[] = [];
  let covered = 0;
  let heldOut = 0;
  let failing = 0;
  for (let seed = 0; seed < 40; seed++) {
    const random = seededRandom(seed);
    const sigma = [0.3, 0.5, 0.8, 1.0][seed % 4] as number;
    const median = 100 * (1 + seed * 37);
    const values = Array.from({ length: 20 }, () => Array.from({ length: 30 + Math.floor(random() * 41) }, () => Math.max(1, logNormalInt(random, median, sigma))));
    const published = computeCrowdSnapshot({
      groupKey: "g",
      instances: values.map((list, i) => aggregateOf(`i${i}`, list.map((v) => eventOf(v)))),
      thresholds: THRESHOLDS,
      parameters,
      random: seededRandomIntegers(`table-${seed}`),
      computedAt: new Date(0),
      answeredBefore: false,
    }).prediction?.input_tokens;
    if (!published) throw new Error("a 1,000-event group must answer");
    let bad = false;
    for (const [name, q] of Object.entries(REPORTED_QUANTILES)) {
      const error = Math.abs(published[name as keyof typeof published] / weightedQuantile(values, q, THRESHOLDS.minContributors) - 1);
      errors.push(error);
      if (error > 0.03) bad = true;
    }
    if (bad) failing += 1;
    for (let h = 0; h < 500; h++) {
      const value = logNormalInt(random, median, sigma);
      heldOut += 1;
      if (value >= published.p10 && value <= published.p90) covered += 1;
    }
  }
  errors.sort((a, b) => a - b);
  const pct = (x: number): string => `${(x * 100).toFixed(2)} %`;
  return `${pct(errors[errors.length - 1] as number)} | ${pct(errors[Math.floor(errors.length * 0.95)] as number)} | ${failing}/40 | ${((covered / heldOut) * 100).toFixed(1)} %`;
}

function privacy(parameters: PrivacyParameters): string {
  let literal = 0;
  let sweep = 0;
  for (let s = 0; s < 20; s++) {
    const honest = honestSet(100 + s);
    const sorted = honest.flat().sort((a, b) => a - b);
    literal += recovered(walk(honest, () => 1e9, `t-literal-${s}`, parameters), sorted, 0.1);
    sweep += recovered(walk(honest, (j) => (j < 25 ? 1 : 1e9), `t-sweep-${s}`, parameters), sorted, 0.1);
  }
  return `${literal}/200 | ${sweep}/200`;
}

let prior = 0;
for (let s = 0; s < 20; s++) {
  const sorted = honestSet(100 + s).flat().sort((a, b) => a - b);
  prior += sorted.filter((value, k) => Math.abs(priorGuess(k) / value - 1) <= 0.1).length;
}
console.log(`| ε (small groups) | worst error | p95 error | groups with a quantile > 3 % | p10-p90 coverage | walk, literal | walk, sweep |`);
console.log(`| --- | --- | --- | --- | --- | --- | --- |`);
for (const [numerator, denominator] of [[1, 4], [1, 2], [1, 1], [2, 1], [4, 1], [1_000_000, 1]] as const) {
  const parameters = { epsilon: { numerator, denominator } };
  console.log(`| ${denominator === 1 ? numerator : `${numerator}/${denominator}`} | ${utility(parameters)} | ${privacy(parameters)} |`);
}
console.log(`\nAn attacker who only guesses from the distribution recovers ${prior}/200.`);
