import { describe, expect, it } from "vitest";
import { TelemetryHttpError } from "../../src/errors.js";
import { LAST_ATTEMPT_MS, STOP_BACKOFF_CAP_MS, cyclePolicy, deadlinePolicy, type RetryPolicy } from "../../src/transport/retry-policy.js";
import type { TransportResult } from "../../src/transport/transport.js";
import { acceptAll, fakeClock, retryingOverMemory, scripted, type Answer } from "../helpers/in-memory-transport.js";

const URL = "https://telemetry.example.com/v1/events/batch";
const BATCH = { events: [{ event_id: "0190f1c2-0000-7000-8000-000000000001" }] };

function send(transport: { send(r: { url: string; payload: unknown }, s: AbortSignal, p?: () => RetryPolicy): Promise<TransportResult> }, policyOf?: () => RetryPolicy, signal = new AbortController().signal) {
  return transport.send({ url: URL, payload: BATCH }, signal, policyOf);
}

const ok = (): Answer => ({ status: 200, body: { accepted: 1, duplicates: 0, rejected: 0, results: [] } });
const error = (status: number, code = "some_code", headers?: Record<string, string>): Answer => ({
  status,
  body: { error: { code, message: "from the server" } },
  ...(headers ? { headers } : {}),
});

describe("RetryingTransport over an in-memory server, fake clock", () => {
  it.each([429, 500, 502, 503, 504])("retries %i after a backoff, then returns the answer", async (status) => {
    const { transport, server, observer, clock } = retryingOverMemory(scripted(error(status), ok()), cyclePolicy(3));
    const result = await send(transport);
    expect(result.kind).toBe("ok");
    expect(server.received.map((r) => r.at - clock.start)).toEqual([0, 750]);
    expect(clock.sleeps).toEqual([750]);
    expect(observer.log).toEqual(["failed http_error", "retrying", "answered"]);
  });

  it("retries a network failure the same way", async () => {
    const { transport, server, observer } = retryingOverMemory(scripted(new Error("ECONNRESET"), ok()), cyclePolicy(3));
    expect((await send(transport)).kind).toBe("ok");
    expect(server.received).toHaveLength(2);
    expect(observer.log).toEqual(["failed network_error", "retrying", "answered"]);
  });

  it.each([400, 401, 403, 404, 409, 413, 422, 501])("stops at %i: one attempt, a final result with the status and the server's code", async (status) => {
    const { transport, server, observer, clock } = retryingOverMemory(scripted(error(status, "the_code"), ok()), cyclePolicy(3));
    const result = await send(transport);
    expect(result.kind).toBe("final");
    if (result.kind !== "final") return;
    expect(result.status).toBe(status);
    expect(result.error).toBeInstanceOf(TelemetryHttpError);
    expect((result.error as TelemetryHttpError).serverCode).toBe("the_code");
    expect(server.received).toHaveLength(1);
    expect(clock.sleeps).toEqual([]);
    expect(observer.log).toEqual(["answered"]);
  });

  it("honours Retry-After in seconds instead of the backoff", async () => {
    const { transport, server, clock } = retryingOverMemory(scripted(error(503, "storage_unavailable", { "Retry-After": "7" }), ok()), cyclePolicy(3));
    expect((await send(transport)).kind).toBe("ok");
    expect(server.received.map((r) => r.at - clock.start)).toEqual([0, 7_000]);
  });

  it("honours Retry-After as an HTTP date", async () => {
    const clock = fakeClock(Date.parse("2026-03-01T12:00:00.000Z"));
    const retryAt = new Date(clock.start + 12_000).toUTCString();
    const { transport, server } = retryingOverMemory(scripted(error(429, "rate_limited", { "Retry-After": retryAt }), ok()), cyclePolicy(3), clock);
    expect((await send(transport)).kind).toBe("ok");
    expect(server.received.map((r) => r.at - clock.start)).toEqual([0, 12_000]);
  });

  it("holds every request of the client during a 429's pause: another send waits for it too", async () => {
    const { transport, server, clock } = retryingOverMemory(scripted(error(429, "rate_limited", { "Retry-After": "5" }), ok()), cyclePolicy(0));
    // No retries left for the first request: it gives its batch back, but the pause stays.
    expect((await send(transport)).kind).toBe("retryable");
    expect((await send(transport)).kind).toBe("ok");
    expect(server.received.map((r) => r.at - clock.start)).toEqual([0, 5_000]);
  });

  describe("a background cycle's policy (cyclePolicy)", () => {
    it("gives up after maxRetries with the last retryable result, after backoffs doubling with jitter", async () => {
      const { transport, server, clock, observer } = retryingOverMemory(scripted(error(503)), cyclePolicy(3));
      const result = await send(transport);
      expect(result.kind).toBe("retryable");
      expect(server.received).toHaveLength(4);
      expect(clock.sleeps).toEqual([750, 1_500, 3_000]);
      expect(observer.log.filter((entry) => entry === "retrying")).toHaveLength(3);
    });

    it("does not wait out a Retry-After longer than a minute: the batch goes back, the pause holds later sends", async () => {
      const { transport, server, gate } = retryingOverMemory(scripted(error(429, "rate_limited", { "Retry-After": "120" }), ok()), cyclePolicy(3));
      expect((await send(transport)).kind).toBe("retryable");
      expect(server.received).toHaveLength(1);
      expect(gate.remaining()).toBe(120_000);
      // A send while the pause holds does not reach the server and settles nothing.
      expect((await send(transport)).kind).not.toBe("ok");
      expect(server.received).toHaveLength(1);
    });
  });

  describe("stop()'s policy (deadlinePolicy)", () => {
    it("retries without a count until the deadline, backoff capped at 5 s, the last one cut short for a final attempt", async () => {
      const clock = fakeClock();
      const deadline = clock.start + 10_000;
      const { transport, server } = retryingOverMemory(scripted(error(503)), deadlinePolicy(deadline), clock);
      const result = await send(transport);
      expect(result.kind).toBe("retryable");
      // 750, 1500, 3000, then the 5 s cap (3750 with jitter), then what is left before the deadline less LAST_ATTEMPT_MS.
      expect(clock.sleeps).toEqual([750, 1_500, 3_000, (STOP_BACKOFF_CAP_MS * 3) / 4, 750]);
      expect(server.received.map((r) => r.at - clock.start)).toEqual([0, 750, 2_250, 5_250, 9_000, 10_000 - LAST_ATTEMPT_MS]);
      expect(clock.now()).toBeLessThan(deadline);
    });

    it("waits out any Retry-After that ends before the deadline, and none that ends after it", async () => {
      const clock = fakeClock();
      const { transport, server } = retryingOverMemory(scripted(error(503, "x", { "Retry-After": "3" }), ok()), deadlinePolicy(clock.start + 5_000), clock);
      expect((await send(transport)).kind).toBe("ok");
      expect(server.received.map((r) => r.at - clock.start)).toEqual([0, 3_000]);

      const late = retryingOverMemory(scripted(error(503, "x", { "Retry-After": "30" }), ok()), deadlinePolicy(clock.now() + 5_000), fakeClock(clock.now()));
      expect((await send(late.transport)).kind).toBe("retryable");
      expect(late.server.received).toHaveLength(1);
    });

    it("does not start an attempt at or after the deadline", async () => {
      const clock = fakeClock();
      const { transport, server } = retryingOverMemory(scripted(ok()), deadlinePolicy(clock.start), clock);
      expect((await send(transport)).kind).not.toBe("ok");
      expect(server.received).toHaveLength(0);
    });
  });

  it("reads the policy at each decision: stop() lengthens a background send already retrying", async () => {
    const clock = fakeClock();
    let policy: RetryPolicy = cyclePolicy(1);
    const { transport, server } = retryingOverMemory(
      (request, index) => {
        // The stop begins while the first retry is on the wire.
        if (index === 1) policy = deadlinePolicy(clock.start + 60_000);
        return index < 4 ? error(500) : acceptAll(request);
      },
      cyclePolicy(1),
      clock,
    );
    expect((await send(transport, () => policy)).kind).toBe("ok");
    expect(server.received).toHaveLength(5);
  });

  it("ends with 'aborted' when the caller's signal aborts during a backoff", async () => {
    const controller = new AbortController();
    const { transport, server } = retryingOverMemory(
      (_request, index) => {
        if (index === 0) controller.abort();
        return error(503);
      },
      cyclePolicy(5),
    );
    expect((await send(transport, undefined, controller.signal)).kind).toBe("aborted");
    expect(server.received).toHaveLength(1);
  });
});
