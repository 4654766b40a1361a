import { createServer } from "node:net";
import { afterAll, beforeAll, expect } from "vitest";
import { formatApiKey } from "@mosaicstack/telemetry-protocol";
import type { TaskCompletionFields } from "@mosaicstack/telemetry-protocol";
import type { TelemetryClientHooks, TelemetryError } from "../../src/index.js";

/** A well-formed key (checksum holds); tests assert it never shows up in an error. */
export const API_KEY = formatApiKey("TestKey0123456789abcdefghijKLMNOPQRST");
export const INSTANCE_ID = "a1b2c3d4-e5f6-4a7b-8c9d-0e1f2a3b4c5d";

export function fields(overrides: Partial<TaskCompletionFields> = {}): TaskCompletionFields {
  return {
    task_duration_ms: 120_000,
    task_type: "implementation",
    complexity: "medium",
    harness: "claude_code",
    model: "claude-sonnet-4-5-20250929",
    provider: "anthropic",
    estimated_input_tokens: 200_000,
    estimated_output_tokens: 80_000,
    actual_input_tokens: 215_000,
    actual_output_tokens: 72_000,
    estimated_cost_usd_micros: 1_200_000,
    actual_cost_usd_micros: 1_150_000,
    quality_gate_passed: true,
    quality_gates_run: ["build", "lint", "test", "typecheck"],
    quality_gates_failed: [],
    context_compactions: 3,
    context_rotations: 1,
    context_utilization_final: 0.85,
    outcome: "success",
    retry_count: 0,
    language: "typescript",
    repo_size_category: "medium",
    ...overrides,
  };
}

/**
 * A fake clock: `sleep` records the delay and moves the clock at once, so retry and Retry-After
 * timing is checked exactly without real waiting. Timers (`every`, `after`) stay real (unref'd).
 */
export function fakeTime(start = Date.parse("2026-03-01T12:00:00.000Z")) {
  let now = start;
  const sleeps: number[] = [];
  const hooks: TelemetryClientHooks = {
    now: () => now,
    sleep: async (ms) => {
      sleeps.push(ms);
      now += ms;
    },
    random: () => 0.5,
  };
  return {
    hooks,
    sleeps,
    start,
    now: () => now,
    advance: (ms: number) => {
      now += ms;
    },
  };
}

/** Collects what onError receives. */
export function errorSink() {
  const errors: TelemetryError[] = [];
  return { errors, onError: (error: TelemetryError) => void errors.push(error), messages: () => errors.map((e) => e.message) };
}

/** Fails the file if any promise rejection goes unhandled while its tests run. */
export function failOnUnhandledRejection(): void {
  const seen: unknown[] = [];
  const listener = (reason: unknown): void => void seen.push(reason);
  beforeAll(() => {
    process.on("unhandledRejection", listener);
  });
  afterAll(async () => {
    await new Promise((resolve) => setTimeout(resolve, 20));
    process.off("unhandledRejection", listener);
    expect(seen).toEqual([]);
  });
}

/** The URL of a loopback port nobody listens on (bound, then closed): connections are refused at once. */
export async function closedPortUrl(): Promise<string> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, "127.0.0.1", resolve));
  const { port } = probe.address() as { port: number };
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  return `http://127.0.0.1:${port}`;
}
