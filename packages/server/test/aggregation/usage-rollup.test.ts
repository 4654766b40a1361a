import { randomUUID } from "node:crypto";
import type { TaskCompletionEvent } from "@mosaicstack/telemetry-protocol";
import { describe, expect, it } from "vitest";
import { foldRollups } from "../../src/aggregation/rollup-fold.js";
import { hasEstimate, hourOf, ratioBucket, rollupModel } from "../../src/aggregation/usage-rules.js";
import { ratioBucketSql } from "../../src/storage/usage-rollup.js";
import { makeEvent } from "../storage/storage-fixtures.js";

const instance = randomUUID();
const withTokens = (actual: [number, number], estimated: [number, number]) =>
  makeEvent(instance, {
    actual_input_tokens: actual[0],
    actual_output_tokens: actual[1],
    estimated_input_tokens: estimated[0],
    estimated_output_tokens: estimated[1],
  });

describe("usage rollup rules", () => {
  it("puts an event in the UTC hour of its own timestamp, in every spelling the validator accepts", () => {
    const hour = Date.parse("2026-11-28T12:00:00Z");
    expect(hourOf("2026-11-28T12:00:00Z")).toBe(hour);
    expect(hourOf("2026-11-28T12:00:00.000+00:00")).toBe(hour);
    expect(hourOf("2026-11-28T12:59:59.999999999Z")).toBe(hour);
    expect(hourOf("2026-11-28T13:00:00Z")).toBe(hour + 3_600_000);
  });

  it("counts an estimate only when some tokens were estimated (0 means none)", () => {
    expect(hasEstimate(withTokens([10, 10], [0, 0]))).toBe(false);
    expect(hasEstimate(withTokens([10, 10], [0, 1]))).toBe(true);
  });

  it("buckets actual ÷ estimated tokens with each edge in the bucket above it", () => {
    // Edges 1/4, 1/2, 2/3, 9/10, 10/9, 3/2, 2, 4 (input and output together).
    const cases: [actual: number, estimated: number, bucket: number][] = [
      [0, 100, 0],
      [24, 100, 0],
      [25, 100, 1],
      [50, 100, 2],
      [2, 3, 3],
      [9, 10, 4],
      [100, 100, 4],
      [10, 9, 5],
      [3, 2, 6],
      [2, 1, 7],
      [399, 100, 7],
      [4, 1, 8],
      [1_000_000, 1, 8],
    ];
    for (const [actual, estimated, bucket] of cases) {
      expect(ratioBucket(withTokens([actual, 0], [estimated, 0])), `${actual}/${estimated}`).toBe(bucket);
      expect(ratioBucket(withTokens([0, actual], [0, estimated])), `${actual}/${estimated} output`).toBe(bucket);
    }
    expect(ratioBucketSql("a", "e")).toContain("a * 9.0 >= e * 10.0"); // an edge as SQL compares the same products
  });

  it("keeps a model holding U+0000 with U+FFFD in its place", () => {
    expect(rollupModel("odd\u0000model\u0000")).toBe("odd\uFFFDmodel\uFFFD");
    expect(rollupModel("claude-sonnet-4-5")).toBe("claude-sonnet-4-5");
  });

  it("folds events into one delta per (instance, hour, dimensions), sorted by key, with estimate sums over estimated events only", () => {
    const other = randomUUID();
    // The figures the sums below are made of: actual 1200 in / 450 out / 12,000 µ$, estimated 1000 / 500 / 10,000 µ$, 60 s.
    const figures = {
      actual_input_tokens: 1200, actual_output_tokens: 450, actual_cost_usd_micros: 12_000,
      estimated_input_tokens: 1000, estimated_output_tokens: 500, estimated_cost_usd_micros: 10_000, task_duration_ms: 60_000,
    };
    const event = (id: string, overrides: Partial<TaskCompletionEvent>): TaskCompletionEvent => makeEvent(id, { ...figures, ...overrides });
    const events = [
      { instanceId: instance, event: event(instance, { timestamp: "2026-11-28T12:10:00Z" }) },
      { instanceId: instance, event: event(instance, { timestamp: "2026-11-28T12:50:00Z", estimated_input_tokens: 0, estimated_output_tokens: 0 }) },
      { instanceId: instance, event: event(instance, { timestamp: "2026-11-28T13:00:00Z" }) },
      { instanceId: instance, event: event(instance, { timestamp: "2026-11-28T12:20:00Z", outcome: "failure", quality_gate_passed: false }) },
      { instanceId: other, event: event(other, { timestamp: "2026-11-28T12:10:00Z" }) },
    ];
    const deltas = foldRollups(events.map(({ instanceId, event }) => ({ instanceId, events: [event] })));
    expect(deltas).toHaveLength(4);
    const keys = deltas.map((d) => [d.instanceId, d.hourMs, d.outcome].join("|"));
    expect(keys).toEqual([...keys].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0)));
    const first = deltas.find((d) => d.instanceId === instance && d.hourMs === Date.parse("2026-11-28T12:00:00Z") && d.outcome === "success");
    expect(first).toMatchObject({
      events: 2,
      inputTokens: 2400,
      outputTokens: 900,
      costUsdMicros: 24_000,
      durationMs: 120_000,
      gatePassed: 2,
      successes: 2,
      estimatedEvents: 1,
      estimatedInputTokens: 1000,
      estimatedOutputTokens: 500,
      estimatedCostUsdMicros: 10_000,
      estimatedActualInputTokens: 1200,
      estimatedActualOutputTokens: 450,
      estimatedActualCostUsdMicros: 12_000,
      ratioBuckets: [0, 0, 0, 0, 1, 0, 0, 0, 0], // 1650 / 1500 = 1.1: on target, [0.9, 10/9)
    });
  });
});
