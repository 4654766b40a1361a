import { createServer } from "node:net";
import { afterAll, beforeAll, expect } from "vitest";
import { formatApiKey } from "@mosaicstack/telemetry-protocol";
import type { TaskCompletionFields } from "@mosaicstack/telemetry-protocol";
import { validEvent } from "@mosaicstack/telemetry-protocol/testing";
import type { TelemetryClientHooks, TelemetryError } from "../../src/index.js";

/** A well-formed key (checksum holds); tests assert it never shows up in an error. */
export const API_KEY = formatApiKey("TestKey0123456789abcdefghijKLMNOPQRST");
export const INSTANCE_ID = "a1b2c3d4-e5f6-4a7b-8c9d-0e1f2a3b4c5d";

/** A task's fields: the shared valid event without what the client fills in itself. */
export function fields(overrides: Partial<TaskCompletionFields> = {}): TaskCompletionFields {
  const { event_id: _id, instance_id: _instance, schema_version: _schema, timestamp: _time, ...task } = validEvent({ complexity: "medium" });
  return { ...task, ...overrides };
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
