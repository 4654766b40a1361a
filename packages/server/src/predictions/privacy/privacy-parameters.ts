import type { RationalScale } from "./discrete-laplace.js";
import { WEIGHT_UNITS } from "./instance-weights.js";

/**
 * The privacy parameter of a crowd snapshot: ε per released count, for one event's weight
 * (sensitivity one event, WEIGHT_UNITS units). Each released count gets discrete Laplace noise of
 * scale 1/ε events. A snapshot releases, per metric, the super-bin counts and the coarse-bin
 * counts near the data (an event is in one of each), plus the counts behind the thresholds,
 * rates and correction factors; what that adds up to is in docs/predictions.md.
 */
export interface PrivacyParameters {
  /** ε per released count, as a ratio of integers. @default 1/2 (noise scale two events in small groups) */
  epsilon: { numerator: number; denominator: number };
}

export const DEFAULT_PRIVACY_PARAMETERS: Readonly<PrivacyParameters> = Object.freeze({ epsilon: Object.freeze({ numerator: 1, denominator: 2 }) });

/**
 * Weighted events per step of the quantiles' ε: a group gets ε · clamp(floor(m / SIZE_STEP), 1,
 * MAX_SIZE_FACTOR) on its sketch counts, where m is the noisy weighted mass of its instances
 * other than its k busiest (k = the contributor minimum). Small groups, where one event can
 * show, get the full noise; in large ones an event is one of hundreds and the quantiles need
 * less noise to stay within 3 %. Leaving out the k busiest instances' mass keeps any one
 * instance (an attacker's own mass included) from buying the group less noise. The cap of 8
 * (reached at 400 weighted events outside the k busiest) keeps the noise on a count at a quarter
 * event or more; with 4, a group of 1,000 events missed 3 % on a tail quantile in 5-9 % of
 * crowds, with 8 in 1-2.5 %, all of those at gaps in the sample (docs/benchmarks/prediction-accuracy.md).
 */
export const SIZE_STEP = 50;
export const MAX_SIZE_FACTOR = 8;

/** The factor on ε for a group whose instances other than the k busiest weigh `noisyEvents` events. */
export function sizeFactor(noisyEvents: number): number {
  return Math.min(MAX_SIZE_FACTOR, Math.max(1, Math.floor(noisyEvents / SIZE_STEP)));
}

/** The discrete Laplace scale, in weight units, for ε times `factor`: WEIGHT_UNITS / (ε · factor). */
export function noiseScale(parameters: PrivacyParameters, factor = 1): RationalScale {
  return { numerator: WEIGHT_UNITS * parameters.epsilon.denominator, denominator: parameters.epsilon.numerator * factor };
}

/** The scale, in whole instances, of the noise on the contributor count: 1/ε. */
export function contributorScale(parameters: PrivacyParameters): RationalScale {
  return { numerator: parameters.epsilon.denominator, denominator: parameters.epsilon.numerator };
}
