import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { Complexity, Provider, TaskType } from "@mosaicstack/telemetry-protocol";
import { groupKey } from "../../src/aggregation/group-key.js";
import {
  instanceCountKeysNeeded,
  judgeGroup,
  meetsThresholds,
  type PredictionThresholds,
  type Verdict,
} from "../../src/predictions/privacy-rule.js";
import { EventTree, eventsIn, type TreeEvent } from "./event-tree.js";

const T: PredictionThresholds = { minEvents: 10, minContributors: 5 };
const BASE = { provider: "anthropic", model: "m1", task_type: "implementation", complexity: "medium" } as const;
const five = ["a", "b", "c", "d", "e"];
const ten = ["a", "b", "c", "d", "e", "f", "g", "h", "i", "j"];

function answerable(tree: EventTree, dims: Omit<TreeEvent, "instance">, level: 0 | 1 | 2 | 3, thresholds = T): boolean {
  return judgeGroup(tree.group(groupKey(dims, level)), tree, thresholds, new Map()).answerable;
}

describe("privacy rule", () => {
  it("answers a level-0 group iff it meets both minimums", () => {
    expect(answerable(new EventTree(eventsIn(BASE, five, 2)), BASE, 0)).toBe(true);
    expect(answerable(new EventTree(eventsIn(BASE, five.slice(0, 4), 5)), BASE, 0)).toBe(false); // 20 events, 4 instances
    expect(answerable(new EventTree(eventsIn(BASE, ten.slice(0, 9))), BASE, 0)).toBe(false); // 9 events, 9 instances
  });

  it("refuses a parent whose remainder beyond its answered children is one instance", () => {
    // The medium child answers; the high child is instance z alone. Answering the parent would
    // reveal z's events as parent minus child.
    const tree = new EventTree([...eventsIn(BASE, five, 2), ...eventsIn({ ...BASE, complexity: "high" }, ["z"], 20)]);
    expect(meetsThresholds(tree.group(groupKey(BASE, 1)), T)).toBe(true);
    expect(answerable(tree, BASE, 0)).toBe(true);
    expect(answerable(tree, BASE, 1)).toBe(false);
    // Every level above holds the same set, so none of them may answer either.
    expect(answerable(tree, BASE, 2)).toBe(false);
    expect(answerable(tree, BASE, 3)).toBe(false);
  });

  it("answers a parent whose remainder meets the minimums, and one whose remainder is empty", () => {
    const bigRemainder = new EventTree([
      ...eventsIn(BASE, five, 2),
      ...eventsIn({ ...BASE, complexity: "high" }, ["v", "w"], 3),
      ...eventsIn({ ...BASE, complexity: "low" }, ["x", "y", "z"], 2),
    ]);
    expect(answerable(bigRemainder, BASE, 1)).toBe(true); // remainder: 10 events of 5 instances
    const noRemainder = new EventTree([...eventsIn(BASE, five, 2), ...eventsIn({ ...BASE, complexity: "high" }, ten)]);
    expect(answerable(noRemainder, BASE, 1)).toBe(true);
  });

  it("counts remainder contributors per instance: an instance inside the children and outside them counts", () => {
    // Remainder (the low complexity): 10 events from a..e, who also fill the medium child.
    const tree = new EventTree([...eventsIn(BASE, five, 2), ...eventsIn({ ...BASE, complexity: "low" }, five, 2)]);
    expect(answerable(tree, BASE, 1)).toBe(true);
    // Now only a and b send the low events: the remainder has 2 contributors.
    const thin = new EventTree([...eventsIn(BASE, five, 2), ...eventsIn({ ...BASE, complexity: "low" }, ["a", "b"], 5)]);
    expect(answerable(thin, BASE, 1)).toBe(false);
  });

  it("does not subtract a qualifying child that may not answer: its open part stays with the parent", () => {
    // Task "implementation" (level 1) meets the minimums, but its remainder beyond the answered
    // medium child is instance z alone, so it may not answer. Its parent (level 2) has no events
    // outside that child. Were the parent answered, parent minus medium would reveal z.
    const events = [...eventsIn(BASE, five, 2), ...eventsIn({ ...BASE, complexity: "high" }, ["z"], 3)];
    const leak = new EventTree(events);
    expect(answerable(leak, BASE, 0)).toBe(true);
    expect(answerable(leak, BASE, 1)).toBe(false);
    expect(answerable(leak, BASE, 2)).toBe(false);
    // With a big enough other task type under the same model, the open part (z plus the other
    // task type) meets the minimums, and the model level may answer.
    const absorbed = new EventTree([...events, ...eventsIn({ ...BASE, task_type: "debugging" }, ["p", "q", "r", "s"], 3)]);
    expect(answerable(absorbed, BASE, 2)).toBe(true);
  });

  it("asks for per-instance counts only where a remainder is neither empty nor the whole group", () => {
    const tree = new EventTree([...eventsIn(BASE, five, 2), ...eventsIn({ ...BASE, complexity: "high" }, ["z"], 20)]);
    expect(instanceCountKeysNeeded(tree.group(groupKey(BASE, 0)), tree, T)).toEqual([]);
    expect(instanceCountKeysNeeded(tree.group(groupKey(BASE, 1)), tree, T)).toEqual([groupKey(BASE, 1), groupKey(BASE, 0)]);
    // Level 2's only child is level 1 with all its events: remainder empty, no counts.
    expect(instanceCountKeysNeeded(tree.group(groupKey(BASE, 2)), tree, T)).toEqual([]);
  });

  it("never lets answers be combined into a set below the minimums (brute force over random data)", () => {
    const providers: Provider[] = ["anthropic", "openai"];
    const tasks: TaskType[] = ["implementation", "debugging"];
    const complexities: Complexity[] = ["low", "medium", "high"];
    const event = fc.record({
      instance: fc.constantFrom("a", "b", "c", "d", "e", "f", "g", "h"),
      provider: fc.constantFrom(...providers),
      model: fc.constantFrom("m1", "m2"),
      task_type: fc.constantFrom(...tasks),
      complexity: fc.constantFrom(...complexities),
    });
    const thresholds = fc.record({ minEvents: fc.integer({ min: 1, max: 8 }), minContributors: fc.integer({ min: 1, max: 4 }) });
    let answeredAboveZero = 0;
    fc.assert(
      fc.property(fc.array(event, { maxLength: 150 }), thresholds, (events, limits) => {
        const tree = new EventTree(events);
        const memo = new Map<string, Verdict>();
        const answered = [...tree.groups.values()].filter((group) => judgeGroup(group, tree, limits, memo).answerable);
        const answeredKeys = new Set(answered.map((group) => group.groupKey));
        for (const group of answered) {
          expect(meetsThresholds(group, limits)).toBe(true);
          if (group.level > 0) answeredAboveZero += 1;
          // Answers form a tree of nested sets, so every set derivable from them is a union of
          // atoms: an answered group minus the answered groups strictly inside it.
          const inAnsweredBelow = (e: TreeEvent): boolean =>
            ([0, 1, 2, 3] as const).some((level) => level < group.level && answeredKeys.has(groupKey(e, level)));
          const atom = (tree.members.get(group.groupKey) ?? []).filter((e) => !inAnsweredBelow(e));
          if (atom.length > 0) {
            expect(atom.length).toBeGreaterThanOrEqual(limits.minEvents);
            expect(new Set(atom.map((e) => e.instance)).size).toBeGreaterThanOrEqual(limits.minContributors);
          }
        }
      }),
      { numRuns: 400, seed: 7 },
    );
    // The property is not vacuous: parents were answered alongside their children.
    expect(answeredAboveZero).toBeGreaterThan(100);
  });
});
