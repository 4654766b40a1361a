import { describe, expect, it } from "vitest";
import { SKETCH_METRICS } from "../../../src/aggregation/sketch-metrics.js";
import { logNormalInt, seededRandom } from "../seeded-random.js";
import { snapshot } from "./attack-scenarios.js";
import { aggregateOf, eventOf } from "./synthetic-instances.js";

/**
 * Small groups and spurious super bins: with noise of two events per count, noise alone keeps
 * an empty super bin somewhere in the fixed domain now and then, and a group of 30-50 events
 * read its quantiles there (medians up to 2.6e10 were seen; before the confirmation of runs,
 * 22 % of the answering groups below published a quantile more than 4x outside their data).
 */

const GROUPS = 1_000;

/** Five instances of 6 to 10 events each, log-normal around 3,000 (σ 0.5). */
function smallGroup(seed: number): number[][] {
  const random = seededRandom(7_000 + seed);
  return Array.from({ length: 5 }, () => Array.from({ length: 6 + Math.floor(random() * 5) }, () => Math.max(1, logNormalInt(random, 3_000, 0.5))));
}

describe("small groups (spurious super bins)", () => {
  it("answering groups publish quantiles within 4x of their data's range, all but a few percent of them", () => {
    let answered = 0;
    const absurd: string[] = [];
    for (let seed = 0; seed < GROUPS; seed++) {
      const values = smallGroup(seed);
      const flat = values.flat();
      const [low, high] = [Math.min(...flat), Math.max(...flat)];
      const prediction = snapshot(
        values.map((list, i) => aggregateOf(`h${i}`, list.map((v) => eventOf(v)))),
        `small-${seed}`,
        0,
      ).prediction;
      if (prediction === null) continue;
      answered += 1;
      const outside = SKETCH_METRICS.flatMap((metric) => Object.values(prediction[metric])).filter((value) => value > 4 * high || value < low / 4);
      if (outside.length > 0) absurd.push(`seed ${seed}: ${outside.join(", ")} for data in [${low}, ${high}]`);
    }
    // Most such groups answer (a metric whose histogram keeps nothing makes a new group wait).
    expect(answered).toBeGreaterThanOrEqual(GROUPS / 2);
    // Measured: 27 of 724 answering groups (3.7 %), all spurious runs that their own counts
    // confirmed by chance; before the confirmation of runs, 159 of 710 (22 %).
    expect(absurd.length / answered, absurd.join("\n")).toBeLessThanOrEqual(0.06);
  });
});
