import type { RandomIntegers } from "./random-integers.js";

/**
 * Exact samplers for the discrete Laplace (two-sided geometric) distribution,
 * P(x) ∝ exp(-|x| / scale) over the integers, with a rational scale, after Canonne, Kamath and
 * Steinke, "The Discrete Gaussian for Differential Privacy" (NeurIPS 2020), Algorithms 1 and 2.
 * Every step is a comparison of uniform integers, so no floating-point rounding shapes the noise.
 * Adding it to an integer count with sensitivity Δ gives ε = Δ / scale.
 */

/** A scale as numerator / denominator, both positive integers. */
export interface RationalScale {
  numerator: number;
  denominator: number;
}

/** Bernoulli(numerator / denominator), 0 <= numerator <= denominator. */
function bernoulli(random: RandomIntegers, numerator: number, denominator: number): boolean {
  return random.below(denominator) < numerator;
}

/** Bernoulli(exp(-n/d)) for a rational n/d >= 0 (CKS20 Algorithm 1). */
export function bernoulliExp(random: RandomIntegers, n: number, d: number): boolean {
  // exp(-γ) for γ > 1 is exp(-1)^floor(γ) · exp(-(γ - floor γ)).
  while (n > d) {
    if (!bernoulliExpAtMostOne(random, 1, 1)) return false;
    n -= d;
  }
  return bernoulliExpAtMostOne(random, n, d);
}

function bernoulliExpAtMostOne(random: RandomIntegers, n: number, d: number): boolean {
  // K is the first k with Bernoulli(γ/k) false; P(K odd) = exp(-γ).
  let k = 1;
  while (bernoulli(random, n, d * k)) k += 1;
  return k % 2 === 1;
}

/**
 * One draw of discrete Laplace noise with scale s = numerator/denominator (CKS20 Algorithm 2 with
 * t = numerator, s = denominator: the distribution ∝ exp(-|x| · denominator / numerator)).
 */
export function discreteLaplace(random: RandomIntegers, scale: RationalScale): number {
  const t = scale.numerator;
  const s = scale.denominator;
  if (!Number.isSafeInteger(t) || !Number.isSafeInteger(s) || t < 1 || s < 1) throw new RangeError("scale must be a ratio of positive integers");
  for (;;) {
    const u = random.below(t);
    if (!bernoulliExp(random, u, t)) continue;
    let v = 0;
    while (bernoulliExp(random, 1, 1)) v += 1;
    const magnitude = Math.floor((u + t * v) / s);
    const negative = random.below(2) === 1;
    if (negative && magnitude === 0) continue;
    return negative ? -magnitude : magnitude;
  }
}
