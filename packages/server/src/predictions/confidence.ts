import type { Confidence, FallbackLevel } from "@mosaicstack/telemetry-protocol";

/**
 * The confidence rule's numbers (docs/predictions.md): "high" needs an exact match (level 0)
 * with many events from many instances; "medium" allows complexity dropped (level <= 1) with a
 * moderate sample; every other answer, any fallback to level 2 or 3 included, is "low"; no
 * answer (-1) is "none".
 */
export const CONFIDENCE_RULE = Object.freeze({
  high: Object.freeze({ maxLevel: 0, minEvents: 100, minContributors: 10 }),
  medium: Object.freeze({ maxLevel: 1, minEvents: 30 }),
});

/** The confidence of an answer at `level` from `events` events of `contributors` instances. */
export function confidenceOf(level: FallbackLevel, events: number, contributors: number): Confidence {
  if (level < 0) return "none";
  const { high, medium } = CONFIDENCE_RULE;
  if (level <= high.maxLevel && events >= high.minEvents && contributors >= high.minContributors) return "high";
  if (level <= medium.maxLevel && events >= medium.minEvents) return "medium";
  return "low";
}
