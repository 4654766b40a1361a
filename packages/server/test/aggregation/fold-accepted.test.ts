import type { TaskCompletionEvent } from "@mosaicstack/telemetry-protocol";
import { describe, expect, it } from "vitest";
import { GROUP_LEVELS, groupKey, parentGroupKey } from "../../src/aggregation/group-key.js";
import { sketchBin } from "../../src/aggregation/sketch-mapping.js";
import { compareKeys } from "../../src/aggregation/compare-keys.js";
import { foldAccepted, type AcceptedBatch, type BinDelta, type GroupDelta, type PairDelta, type UsageDelta } from "../../src/aggregation/fold-accepted.js";
import { foldRollups } from "../../src/aggregation/rollup-fold.js";
import { SKETCH_METRICS, sketchValue } from "../../src/aggregation/sketch-metrics.js";
import { makeEvent } from "../storage/storage-fixtures.js";

/** The fold written the plain way (a JSON key per group, bin and pair): what foldAccepted must equal. */
function referenceFold(batches: readonly AcceptedBatch[]) {
  const accepted = batches.flatMap(({ instanceId, receivedMs, events }) => events.map((event) => ({ instanceId, receivedMs, event })));
  const groups = new Map<string, GroupDelta>();
  const bins = new Map<string, BinDelta>();
  const pairs = new Map<string, PairDelta>();
  const usage = new Map<string, UsageDelta>();
  for (const { instanceId, event, receivedMs } of accepted) {
    const used = usage.get(instanceId) ?? { instanceId, events: 0, firstMs: receivedMs, lastMs: receivedMs };
    usage.set(instanceId, used);
    used.events += 1;
    used.firstMs = Math.min(used.firstMs, receivedMs);
    used.lastMs = Math.max(used.lastMs, receivedMs);
    for (const level of GROUP_LEVELS) {
      const key = groupKey(event, level);
      const group = groups.get(key) ?? {
        groupKey: key, level, parentKey: parentGroupKey(event, level), events: 0, sumEstimatedInputTokens: 0,
        sumActualInputTokens: 0, sumEstimatedOutputTokens: 0, sumActualOutputTokens: 0, gatePassed: 0, successes: 0,
        lastUpdatedMs: receivedMs,
      };
      groups.set(key, group);
      group.lastUpdatedMs = Math.max(group.lastUpdatedMs, receivedMs);
      const pairKey = JSON.stringify([key, instanceId]);
      const pair = pairs.get(pairKey) ?? { groupKey: key, instanceId, events: 0 };
      pairs.set(pairKey, pair);
      pair.events += 1;
      group.events += 1;
      group.sumEstimatedInputTokens += event.estimated_input_tokens;
      group.sumActualInputTokens += event.actual_input_tokens;
      group.sumEstimatedOutputTokens += event.estimated_output_tokens;
      group.sumActualOutputTokens += event.actual_output_tokens;
      if (event.quality_gate_passed) group.gatePassed += 1;
      if (event.outcome === "success") group.successes += 1;
      for (const metric of SKETCH_METRICS) {
        const bin = sketchBin(sketchValue(event, metric));
        const binKey = JSON.stringify([key, metric, bin]);
        const existing = bins.get(binKey);
        if (existing) existing.count += 1;
        else bins.set(binKey, { groupKey: key, metric, bin, count: 1 });
      }
    }
  }
  return {
    groups: [...groups.values()].sort((a, b) => compareKeys(a.groupKey, b.groupKey)),
    bins: [...bins.values()].sort((a, b) => compareKeys(a.groupKey, b.groupKey) || compareKeys(a.metric, b.metric) || a.bin - b.bin),
    pairs: [...pairs.values()].sort((a, b) => compareKeys(a.groupKey, b.groupKey) || compareKeys(a.instanceId, b.instanceId)),
    usage: [...usage.values()].sort((a, b) => compareKeys(a.instanceId, b.instanceId)),
    // One event per call: the rollup fold's map path only, never its last-row shortcut.
    rollups: foldRollups(accepted.map(({ instanceId, event }) => ({ instanceId, events: [event] }))),
    // Every event folded as one instance's: the all-instances rows, found without merging deltas.
    allInstancesRollups: foldRollups([{ instanceId: "", events: accepted.map(({ event }) => event) }]).map(({ instanceId: _instance, ...row }) => row),
  };
}

/** A deterministic generator (mulberry32), so a failure names a reproducible batch. */
function seeded(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = Math.imul(state ^ (state >>> 15), 1 | state);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

// Dimension values that a joined-string key would confuse: separators, quotes, U+0000.
const PROVIDERS = ["anthropic", "a\u0000b", "a", 'x"y'];
const MODELS = ["m", "b\u0000m", "\u0000", "m,1", ""];
const TASKS = ["implementation", "review"];
const COMPLEXITIES = ["low", "high"];

const INSTANCES = ["instance-b", "instance-a", "instance-c"];

/** Calls of random instances and receive times, their events together `size`. */
function randomBatch(random: () => number, size: number): AcceptedBatch[] {
  const pick = <T>(values: readonly T[]): T => values[Math.floor(random() * values.length)] as T;
  const batches: AcceptedBatch[] = [];
  for (let left = size; left > 0; ) {
    const count = Math.min(left, 1 + Math.floor(random() * 40));
    batches.push({ instanceId: pick(INSTANCES), receivedMs: 1_700_000_000_000 + Math.floor(random() * 5) * 1000, events: randomEvents(random, count) });
    left -= count;
  }
  return batches;
}

function randomEvents(random: () => number, size: number): TaskCompletionEvent[] {
  const pick = <T>(values: readonly T[]): T => values[Math.floor(random() * values.length)] as T;
  return Array.from({ length: size }, () =>
    makeEvent("instance", {
      provider: pick(PROVIDERS) as TaskCompletionEvent["provider"],
      model: pick(MODELS),
      // Neighbouring hours and a repeated timestamp: the rollup fold's last-row shortcut must see the hour change.
      timestamp: pick(["2026-11-28T12:00:00.000Z", "2026-11-28T12:59:59.999Z", "2026-11-28T13:00:00Z", "2026-11-28T12:30:00+00:00"]),
      task_type: pick(TASKS) as TaskCompletionEvent["task_type"],
      complexity: pick(COMPLEXITIES) as TaskCompletionEvent["complexity"],
      actual_input_tokens: Math.floor(random() * 1e6),
      actual_output_tokens: Math.floor(random() * 1e5),
      task_duration_ms: Math.floor(random() * 1e7),
      actual_cost_usd_micros: random() < 0.1 ? 0 : Math.floor(random() * 1e6),
      quality_gate_passed: random() < 0.5,
      outcome: random() < 0.5 ? "success" : "failure",
    }),
  );
}

const accepted = (...events: TaskCompletionEvent[]): AcceptedBatch[] => [{ instanceId: "instance", receivedMs: 0, events }];

describe("foldAccepted", () => {
  it("gives the same groups, bins, pairs and usage, in the same order, as the plain fold on random batches of several instances", () => {
    const random = seeded(7);
    for (let trial = 0; trial < 100; trial++) {
      const batch = randomBatch(random, 1 + Math.floor(random() * 200));
      expect(foldAccepted(batch), `trial ${trial}`).toEqual(referenceFold(batch));
    }
  });

  it("keeps dimension tuples apart that would join to the same string", () => {
    // Storage takes any strings (the route validates the enums before), so test the general case.
    const provider = (value: string) => value as TaskCompletionEvent["provider"];
    const one = makeEvent("instance", { provider: provider("a\u0000b"), model: "c" });
    const other = makeEvent("instance", { provider: provider("a"), model: "b\u0000c" });
    const fold = foldAccepted(accepted(one, other));
    expect(fold.groups.filter((group) => group.level === 0).map((group) => group.events)).toEqual([1, 1]);
    expect(fold).toEqual(referenceFold(accepted(one, other)));
  });

  it("counts one bin per event, metric and group", () => {
    const batch = randomBatch(seeded(11), 50);
    const fold = foldAccepted(batch);
    for (const group of fold.groups) {
      for (const metric of SKETCH_METRICS) {
        const total = fold.bins.filter((bin) => bin.groupKey === group.groupKey && bin.metric === metric).reduce((sum, bin) => sum + bin.count, 0);
        expect(total).toBe(group.events);
      }
    }
  });
});
