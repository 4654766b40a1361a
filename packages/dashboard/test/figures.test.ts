import { describe, expect, it } from "vitest";
import type { SeriesPoint } from "../src/api-types.js";
import { emptyFigures, figuresByGroup } from "../src/figures.js";

/** A series point of `events` events costing `cost` micro-dollars, every other figure zero. */
function point(group: string | null, events: number, cost: number): SeriesPoint {
  return { ...emptyFigures(2), events, cost_usd_micros: cost, start: "2026-11-01T00:00:00.000Z", group };
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
