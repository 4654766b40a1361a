import { describe, expect, it } from "vitest";
import type { TaskCompletionEvent } from "@mosaicstack/telemetry-protocol";
import { BatchSender } from "../../src/batch-sender.js";
import { TelemetryEventError, TelemetryHttpError, type TelemetryError } from "../../src/errors.js";
import { EventBuilder } from "../../src/event-builder.js";
import { EventStore } from "../../src/queue/event-store.js";
import { emptyStats } from "../../src/stats.js";
import { cyclePolicy, type RetryPolicy } from "../../src/transport/retry-policy.js";
import { INSTANCE_ID, fields } from "../helpers/fixtures.js";
import { acceptAll, fakeClock, retryingOverMemory, scripted, type Answer, type Received } from "../helpers/in-memory-transport.js";

const URL = "https://telemetry.example.com/v1/events/batch";

/** A sender over an in-memory store (no spool) and the in-memory server, holding `count` events. */
function senderWith(count: number, answer: (request: Received, index: number) => Answer | Error, options: { batchSize?: number; policy?: RetryPolicy } = {}) {
  const clock = fakeClock();
  const chain = retryingOverMemory(answer, options.policy ?? cyclePolicy(2), clock);
  const store = new EventStore(10_000, 64 * 1024 * 1024, null, 0);
  const builder = new EventBuilder(INSTANCE_ID, clock.platform.now);
  const tracked: TaskCompletionEvent[] = [];
  for (let i = 0; i < count; i++) {
    const event = builder.build(fields({ task_duration_ms: i + 1 }));
    tracked.push(event);
    store.push(event);
  }
  const stats = emptyStats();
  const reported: TelemetryError[] = [];
  const evictions: number[] = [];
  const sender = new BatchSender(store, chain.transport, URL, options.batchSize ?? 100, stats, (error) => void reported.push(error), {
    onTaken: () => {},
    onEvicted: (n) => void evictions.push(n),
  });
  const drain = (policy: () => RetryPolicy = () => options.policy ?? cyclePolicy(2), signal = new AbortController().signal) => sender.drain(signal, policy);
  return { ...chain, store, stats, reported, tracked, drain, evictions };
}

const ids = (events: readonly { event_id: string }[]) => events.map((event) => event.event_id);

describe("BatchSender over an in-memory server, fake clock", () => {
  it("drains the queue in batches of batchSize, in order, one request at a time", async () => {
    const subject = senderWith(250, acceptAll);
    await subject.drain();
    expect(subject.server.received.map((r) => r.events.length)).toEqual([100, 100, 50]);
    expect(subject.server.received.flatMap((r) => ids(r.events))).toEqual(ids(subject.tracked));
    expect(subject.stats).toMatchObject({ sent: 250, dropped: 0, requeued: 0 });
    expect(subject.store.size).toBe(0);
    expect(subject.reported).toEqual([]);
  });

  it("applies partial results: accepted and duplicate are delivered, rejected is dropped and reported by event id", async () => {
    const subject = senderWith(4, (request) => ({
      status: 200,
      body: {
        accepted: 2,
        duplicates: 1,
        rejected: 1,
        results: request.events.map((event, i) =>
          i === 2 ? { event_id: event.event_id, status: "rejected", code: "invalid_event", message: "model: too long" } : { event_id: event.event_id, status: i === 1 ? "duplicate" : "accepted" },
        ),
      },
    }));
    await subject.drain();
    expect(subject.stats).toMatchObject({ sent: 3, duplicates: 1, rejected: 1, dropped: 1 });
    expect(subject.store.size).toBe(0);
    expect(subject.reported).toHaveLength(1);
    const rejected = subject.reported[0] as TelemetryEventError;
    expect(rejected).toBeInstanceOf(TelemetryEventError);
    expect(rejected.code).toBe("event_rejected");
    expect(rejected.message).toContain(subject.tracked[2]?.event_id);
    expect(rejected.message).toContain("invalid_event: model: too long");
  });

  it("counts every event of a 200 delivered when its results cannot be read", async () => {
    const subject = senderWith(3, scripted({ status: 200, body: { accepted: 3, results: "no" } }));
    await subject.drain();
    expect(subject.stats).toMatchObject({ sent: 3, rejected: 0, dropped: 0 });
  });

  it("retries a batch on a retryable status and delivers it once answered", async () => {
    const subject = senderWith(150, (request, index) => (index === 0 ? { status: 503, headers: { "retry-after": "2" } } : acceptAll(request)));
    await subject.drain();
    expect(subject.server.received.map((r) => [r.at - subject.clock.start, r.events.length])).toEqual([
      [0, 100],
      [2_000, 100],
      [2_000, 50],
    ]);
    expect(subject.stats).toMatchObject({ sent: 150, requeued: 0, dropped: 0 });
  });

  it("drops a batch on a final status, reports it, and goes on with the next", async () => {
    const subject = senderWith(150, (request, index) => (index === 0 ? { status: 403, body: { error: { code: "instance_mismatch", message: "wrong instance" } } } : acceptAll(request)));
    await subject.drain();
    expect(subject.server.received.map((r) => r.events.length)).toEqual([100, 50]);
    expect(subject.stats).toMatchObject({ sent: 50, dropped: 100 });
    expect(subject.store.size).toBe(0);
    expect(subject.reported).toHaveLength(1);
    expect(subject.reported[0]).toBeInstanceOf(TelemetryHttpError);
    expect(subject.reported[0]?.message).toBe("HTTP 403: instance_mismatch wrong instance");
  });

  it("splits a batch answered 413 in halves until the parts fit, keeping the order", async () => {
    const subject = senderWith(100, (request) => (request.events.length > 30 ? { status: 413, body: { error: { code: "payload_too_large", message: "too big" } } } : acceptAll(request)));
    await subject.drain();
    const sizes = subject.server.received.map((r) => r.events.length);
    expect(sizes).toEqual([100, 50, 25, 25, 50, 25, 25]);
    expect(subject.server.received.filter((r) => r.events.length <= 30).flatMap((r) => ids(r.events))).toEqual(ids(subject.tracked));
    expect(subject.stats).toMatchObject({ sent: 100, dropped: 0 });
  });

  it("drops a single event still answered 413", async () => {
    const subject = senderWith(2, scripted({ status: 413 }));
    await subject.drain();
    expect(subject.server.received.map((r) => r.events.length)).toEqual([2, 1, 1]);
    expect(subject.stats).toMatchObject({ sent: 0, dropped: 2 });
  });

  it("puts a batch whose retries ran out back at the front, ends the drain, and sends it first next time", async () => {
    let down = true;
    const subject = senderWith(150, (request) => (down ? { status: 502 } : acceptAll(request)), { policy: cyclePolicy(2) });
    await subject.drain();
    // Three attempts of the first batch (maxRetries 2), nothing of the second.
    expect(subject.server.received.map((r) => r.events.length)).toEqual([100, 100, 100]);
    expect(subject.stats).toMatchObject({ sent: 0, requeued: 100, dropped: 0 });
    expect(subject.store.size).toBe(150);
    expect(subject.reported).toEqual([]);

    down = false;
    await subject.drain();
    expect(subject.server.received.slice(3).flatMap((r) => ids(r.events))).toEqual(ids(subject.tracked));
    expect(subject.stats).toMatchObject({ sent: 150, requeued: 100 });
  });

  it("keeps the batch of a drain whose signal aborts, for the next cycle", async () => {
    const controller = new AbortController();
    const subject = senderWith(10, (_request) => {
      controller.abort();
      return { status: 500 };
    });
    await subject.drain(undefined, controller.signal);
    expect(subject.server.received).toHaveLength(1);
    expect(subject.store.size).toBe(10);
    expect(subject.stats).toMatchObject({ sent: 0, dropped: 0, requeued: 10 });
  });
});
