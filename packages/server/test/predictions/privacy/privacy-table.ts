/**
 * Prints the privacy parameter vs accuracy table of docs/benchmarks/prediction-accuracy.md:
 *   npx tsx packages/server/test/predictions/privacy/privacy-table.ts
 * Utility (goal 4): the 100 crowds of utility-crowds.ts (seeds 0-99: 20 instances, 50 to 70
 * events each, at least 1,000 in all, each metric log-normal with σ from 0.3 to 1.0); worst, 99th
 * and 95th-percentile relative error of the 2,000 published quantiles (4 metrics x 5 quantiles
 * x 100 groups) against the exact weighted quantiles, groups with any quantile beyond 3 %, and
 * how much of 1,000 held-out values per metric and group the p10-p90 band covers.
 * Privacy: the walk of issue 13 over 20 honest sets (5 instances, 2 events each), honest values
 * recovered within 10 %, against an attacker who only guesses from the distribution; and the
 * tail read of a lone event in a group of 20 instances with one key and with three (Sybil).
 * Last, the walk and goal 4 at the default ε over ten noise draws each.
 */
import type { PrivacyParameters } from "../../../src/predictions/privacy/privacy-parameters.js";
import { TAIL_SECRETS, honestSet, priorGuess, tailRead, walk } from "./attack-scenarios.js";
import { utilityCrowd, utilityReport, utilitySnapshot } from "./utility-crowds.js";
import { recovered } from "./walk-attack.js";

const GROUPS = 100;

function utility(parameters: PrivacyParameters): string {
  const errors: number[] = [];
  let covered = 0;
  let heldOut = 0;
  let failing = 0;
  for (let seed = 0; seed < GROUPS; seed++) {
    const crowd = utilityCrowd(seed);
    const report = utilityReport(crowd, utilitySnapshot(crowd, `table-${seed}`, parameters), 10_000 + seed, 1_000);
    errors.push(...report.errors.map(({ error }) => error));
    if (report.errors.some(({ error }) => error > 0.03)) failing += 1;
    covered += report.covered;
    heldOut += report.heldOut;
  }
  errors.sort((a, b) => a - b);
  const pct = (x: number): string => `${(x * 100).toFixed(2)} %`;
  const at = (p: number): number => errors[Math.min(errors.length - 1, Math.floor(errors.length * p))] as number;
  return `${pct(at(1))} | ${pct(at(0.99))} | ${pct(at(0.95))} | ${failing}/${GROUPS} | ${((covered / heldOut) * 100).toFixed(1)} %`;
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
  const tails = TAIL_SECRETS.length;
  return `${literal}/200 | ${sweep}/200 | ${tailRead(1, "t-tail-1", parameters)}/${tails} | ${tailRead(3, "t-tail-3", parameters)}/${tails}`;
}

let prior = 0;
for (let s = 0; s < 20; s++) {
  const sorted = honestSet(100 + s).flat().sort((a, b) => a - b);
  prior += sorted.filter((value, k) => Math.abs(priorGuess(k) / value - 1) <= 0.1).length;
}
console.log(`| ε (small groups) | worst error | p99 error | p95 error | groups with a quantile > 3 % | p10-p90 coverage | walk, literal | walk, sweep | tail read, 1 key | tail read, 3 keys |`);
console.log(`| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |`);
for (const [numerator, denominator] of [[1, 4], [1, 2], [1, 1], [2, 1], [1_000_000, 1]] as const) {
  const parameters = { epsilon: { numerator, denominator } };
  const label = numerator === 1_000_000 ? "no noise" : denominator === 1 ? String(numerator) : `${numerator}/${denominator}`;
  console.log(`| ${label} | ${utility(parameters)} | ${privacy(parameters)} |`);
}
console.log(`\nAn attacker who only guesses from the distribution recovers ${prior}/200.`);

// The walk at the default ε over ten noise draws: one draw's count moves a lot (a few to fifteen).
{
  const literal: number[] = [];
  const sweep: number[] = [];
  for (const draw of "abcdefghij") {
    let l = 0;
    let w = 0;
    for (let s = 0; s < 20; s++) {
      const honest = honestSet(100 + s);
      const sorted = honest.flat().sort((a, b) => a - b);
      l += recovered(walk(honest, () => 1e9, `w-${draw}-literal-${s}`), sorted, 0.1);
      w += recovered(walk(honest, (j) => (j < 25 ? 1 : 1e9), `w-${draw}-sweep-${s}`), sorted, 0.1);
    }
    literal.push(l);
    sweep.push(w);
  }
  const mean = (list: number[]): string => (list.reduce((a, b) => a + b, 0) / list.length).toFixed(1);
  console.log(`The walk at the default ε over 10 noise draws, of 200 honest values each: literal ${mean(literal)} on average (${Math.min(...literal)} to ${Math.max(...literal)}), sweep ${mean(sweep)} (${Math.min(...sweep)} to ${Math.max(...sweep)}).`);
}

// Goal 4 at the default ε over more noise: each of the 100 crowds with ten noise seeds.
{
  let failing = 0;
  let worst = 0;
  for (const draw of "abcdefghij") {
    for (let seed = 0; seed < GROUPS; seed++) {
      const crowd = utilityCrowd(seed);
      const report = utilityReport(crowd, utilitySnapshot(crowd, `table-${draw}-${seed}`), 10_000 + seed, 1_000);
      const error = Math.max(...report.errors.map(({ error }) => error));
      worst = Math.max(worst, error);
      if (error > 0.03) failing += 1;
    }
  }
  console.log(`At the default ε, 10 noise draws for each of the ${GROUPS} crowds: ${failing}/${10 * GROUPS} snapshots with a quantile past 3 %, worst ${(worst * 100).toFixed(2)} %.`);
}
