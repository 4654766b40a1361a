import { describe, expect, it } from "vitest";
import { CONFIDENCE_RULE, confidenceOf } from "../../src/predictions/confidence.js";

describe("confidence rule", () => {
  const { high, medium } = CONFIDENCE_RULE;

  it("is none without an answer", () => {
    expect(confidenceOf(-1, 0, 0)).toBe("none");
    expect(confidenceOf(-1, 10_000, 100)).toBe("none");
  });

  it("is high only at level 0 with both the event and contributor numbers", () => {
    expect(confidenceOf(0, high.minEvents, high.minContributors)).toBe("high");
    expect(confidenceOf(0, high.minEvents - 1, high.minContributors)).toBe("medium");
    expect(confidenceOf(0, high.minEvents, high.minContributors - 1)).toBe("medium");
    expect(confidenceOf(1, 10_000, 1_000)).toBe("medium");
  });

  it("is medium up to level 1 from the medium event number, low below it", () => {
    expect(confidenceOf(1, medium.minEvents, 5)).toBe("medium");
    expect(confidenceOf(1, medium.minEvents - 1, 5)).toBe("low");
    expect(confidenceOf(0, medium.minEvents - 1, 50)).toBe("low");
  });

  it("is low at any fallback to level 2 or 3, however large the sample", () => {
    expect(confidenceOf(2, 1_000_000, 10_000)).toBe("low");
    expect(confidenceOf(3, 1_000_000, 10_000)).toBe("low");
  });

  it("keeps its numbers in one frozen constant", () => {
    expect(CONFIDENCE_RULE).toEqual({ high: { maxLevel: 0, minEvents: 100, minContributors: 10 }, medium: { maxLevel: 1, minEvents: 30 } });
    expect(Object.isFrozen(CONFIDENCE_RULE) && Object.isFrozen(CONFIDENCE_RULE.high)).toBe(true);
  });
});
