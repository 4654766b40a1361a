import { describe, expect, it } from "vitest";
import type { SeriesPoint, UsageFigures } from "../src/api-types.js";
import { figuresByGroup } from "../src/figures.js";

/** A series point of `events` events costing `cost` micro-dollars, every other figure zero. */
function point(group: string | null, events: number, cost: number): SeriesPoint {
  const estimates = {
    events: 0,
    without_estimate: events,
    estimated_input_tokens: 0,
    estimated_output_tokens: 0,
    estimated_cost_usd_micros: 0,
    actual_input_tokens: 0,
    actual_output_tokens: 0,
    actual_cost_usd_micros: 0,
    correction_factors: { input: null, output: null, cost: null },
    ratio_histogram: [0, 0],
  };
  const figures: UsageFigures = {
    events,
    input_tokens: 0,
    output_tokens: 0,
    cost_usd_micros: cost,
    duration_ms: 0,
    gate_passed: 0,
    successes: 0,
    success_rate: 0,
    gate_pass_rate: 0,
    cost_per_success_usd_micros: null,
    estimates,
  };
  return { start: "2026-11-01T00:00:00.000Z", group, ...figures };
}

describe("figuresByGroup", () => {
  it("names the null group 'others' in a split series (the groups the server summed) and 'all' in an unsplit one", () => {
    const split = figuresByGroup([point("model-a", 3, 30), point(null, 2, 10), point("model-a", 1, 5)], 2);
    expect(split.map((group) => [group.group, group.figures.events])).toEqual(
      expect.arrayContaining([
        ["model-a", 4],
        ["others", 2],
      ]),
    );
    const whole = figuresByGroup([point(null, 5, 50)], 2, false);
    expect(whole.map((group) => [group.group, group.figures.events])).toEqual([["all", 5]]);
  });
});
