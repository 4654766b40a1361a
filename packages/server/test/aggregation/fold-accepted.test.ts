import type { TaskCompletionEvent } from "@mosaicstack/telemetry-protocol";
import { describe, expect, it } from "vitest";
import { GROUP_LEVELS, groupKey } from "../../src/aggregation/group-key.js";
import { sketchBin } from "../../src/aggregation/sketch-mapping.js";
import { compareKeys } from "../../src/aggregation/compare-keys.js";
import { foldAccepted, type AcceptedBatch, type InstanceAggregateDelta, type UsageDelta } from "../../src/aggregation/fold-accepted.js";
import { foldRollups } from "../../src/aggregation/rollup-fold.js";
import { SKETCH_METRICS, sketchValue } from "../../src/aggregation/sketch-metrics.js";
import { makeEvent } from "../storage/storage-fixtures.js";

/** The fold written the plain way (a JSON key per (group, instance)): what foldAccepted must equal. */
function referenceFold(batches: readonly AcceptedBatch[]) {
  const accepted = batches.flatMap(({ instanceId, receivedMs, events }) => events.map((event) => ({ instanceId, receivedMs, event })));
  const aggregates = new Map<string, InstanceAggregateDelta>();
  const usage = new Map<string, UsageDelta>();
  for (const { instanceId, event, receivedMs } of accepted) {
    const used = usage.get(instanceId) ?? { instanceId, events: 0, firstMs: receivedMs, lastMs: receivedMs };
    usage.set(instanceId, used);
    used.events += 1;
    used.firstMs = Math.min(used.firstMs, receivedMs);
    used.lastMs = Math.max(used.lastMs, receivedMs);
    for (const level of GROUP_LEVELS) {
      const key = groupKey(event, level);
      const rowKey = JSON.stringify([key, instanceId]);
      const row = aggregates.get(rowKey) ?? {
        groupKey: key, instanceId, events: 0, sumEstimatedInputTokens: 0, sumActualInputTokens: 0, sumEstimatedOutputTokens: 0,
        sumActualOutputTokens: 0, gatePassed: 0, successes: 0, lastUpdatedMs: receivedMs, bins: SKETCH_METRICS.map(() => new Map<number, number>()),
      };
      aggregates.set(rowKey, row);
      row.lastUpdatedMs = Math.max(row.lastUpdatedMs, receivedMs);
      row.events += 1;
      // An estimate of 0 is no estimate: its actual tokens stay out of both sums.
      if (event.estimated_input_tokens > 0) {
        row.sumEstimatedInputTokens += event.estimated_input_tokens;
        row.sumActualInputTokens += event.actual_input_tokens;
      }
      if (event.estimated_output_tokens > 0) {
        row.sumEstimatedOutputTokens += event.estimated_output_tokens;
        row.sumActualOutputTokens += event.actual_output_tokens;
      }
      if (event.quality_gate_passed) row.gatePassed += 1;
      if (event.outcome === "success") row.successes += 1;
      SKETCH_METRICS.forEach((metric, m) => {
        const bin = sketchBin(sketchValue(event, metric));
        const bins = row.bins[m] as Map<number, number>;
        bins.set(bin, (bins.get(bin) ?? 0) + 1);
      });
    }
  }
  return {
    instanceAggregates: [...aggregates.values()].sort((a, b) => compareKeys(a.groupKey, b.groupKey) || compareKeys(a.instanceId, b.instanceId)),
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
      // Sometimes no estimate (0): those events' actual tokens stay out of the sums.
      estimated_input_tokens: random() < 0.2 ? 0 : Math.floor(random() * 1e6),
      estimated_output_tokens: random() < 0.2 ? 0 : Math.floor(random() * 1e5),
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
  it("gives the same (group, instance) aggregates with their bins, usage and rollups, in the same order, as the plain fold on random batches of several instances", () => {
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
    const level0 = new Set([groupKey(one, 0), groupKey(other, 0)]);
    expect(level0.size).toBe(2);
    expect(fold.instanceAggregates.filter((row) => level0.has(row.groupKey)).map((row) => row.events)).toEqual([1, 1]);
    expect(fold).toEqual(referenceFold(accepted(one, other)));
  });

  it("counts one bin per event, metric, group and instance; each event in four groups", () => {
    const batch = randomBatch(seeded(11), 50);
    const fold = foldAccepted(batch);
    for (const row of fold.instanceAggregates) {
      for (const bins of row.bins) expect([...bins.values()].reduce((sum, count) => sum + count, 0)).toBe(row.events);
    }
    expect(fold.instanceAggregates.reduce((sum, row) => sum + row.events, 0)).toBe(4 * 50);
  });

  it("keeps an instance's rows apart from another's in the same group, and a later receive time wins", () => {
    const event = makeEvent("x");
    const fold = foldAccepted([
      { instanceId: "b", receivedMs: 5, events: [event] },
      { instanceId: "a", receivedMs: 1, events: [event, event] },
      { instanceId: "b", receivedMs: 9, events: [event] },
    ]);
    const level0 = fold.instanceAggregates.filter((row) => row.groupKey === groupKey(event, 0));
    expect(level0.map((row) => [row.instanceId, row.events, row.lastUpdatedMs])).toEqual([
      ["a", 2, 1],
      ["b", 2, 9],
    ]);
  });
});
