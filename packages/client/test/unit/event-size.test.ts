import { describe, expect, it } from "vitest";
import { TelemetryClient } from "../../src/index.js";
import { estimateEventBytes } from "../../src/queue/event-size.js";
import { API_KEY, INSTANCE_ID, fields } from "../helpers/fixtures.js";

describe("estimateEventBytes", () => {
  const client = new TelemetryClient({ serverUrl: "https://x.example", apiKey: API_KEY, instanceId: INSTANCE_ID });

  it.each([
    ["typical", fields()],
    ["minimal", fields({ language: null, repo_size_category: null, quality_gates_run: [], model: "m" })],
    ["long strings", fields({ model: "x".repeat(100), language: "y".repeat(30), quality_gates_run: ["build", "lint", "test", "coverage", "typecheck", "security"], quality_gates_failed: ["lint"] })],
    ["big numbers", fields({ actual_input_tokens: 9_000_000_000, estimated_cost_usd_micros: 123_456_789_012, context_utilization_final: 0.123456789 })],
  ])("stays within 25%% of the real JSON size (%s)", (_name, eventFields) => {
    const event = client.eventBuilder.build(eventFields);
    const real = Buffer.byteLength(JSON.stringify(event));
    const estimate = estimateEventBytes(event);
    expect(Math.abs(estimate - real) / real).toBeLessThan(0.25);
  });
});
