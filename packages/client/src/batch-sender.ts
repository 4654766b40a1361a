import type { EventResult, TaskCompletionEvent } from "@mosaicstack/telemetry-protocol";
import { TelemetryEventError } from "./errors.js";
import type { EventStore } from "./queue/event-store.js";
import type { Report } from "./reporter.js";
import type { TelemetryStats } from "./stats.js";
import type { RetryPolicy } from "./transport/retry-policy.js";
import type { RetryingTransport } from "./transport/retrying-transport.js";
import type { EncodedBody } from "./transport/transport.js";

/** The next batch as it was when its encoding began. */
interface EncodedAhead {
  readonly events: readonly TaskCompletionEvent[];
  readonly encoded: Promise<EncodedBody>;
}

/** The same events, the same objects, in the same order. */
function sameEvents(a: readonly TaskCompletionEvent[], b: readonly TaskCompletionEvent[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** What the sender tells the client beside the stats. */
export interface SenderEvents {
  /** Events left the queue: an overflow burst is over. */
  onTaken(): void;
  /** Requeued events pushed out the oldest ones. */
  onEvicted(count: number): void;
}

/**
 * Drains the queue in batches, one request in flight at a time (no pause between batches), and
 * applies the per-event results of docs/api.md: accepted and duplicate are delivered, rejected is
 * dropped and reported. A final HTTP failure (a 4xx other than 429, or 501) drops its batch
 * (413 first splits it in halves); a batch whose retries run out goes back to the front of the
 * queue and ends this drain. The failure behind a retry is reported by the outage monitor, once.
 */
export class BatchSender {
  constructor(
    private readonly store: EventStore,
    private readonly transport: RetryingTransport,
    private readonly url: string,
    private readonly batchSize: number,
    private readonly stats: TelemetryStats,
    private readonly report: Report,
    private readonly events: SenderEvents,
  ) {}

  /**
   * Sends until the queue is empty (counting events tracked meanwhile), a batch gives up, or
   * `signal` aborts. `policy` is read at each retry decision, so stop() can lengthen a drain
   * already running.
   */
  async drain(signal: AbortSignal, policy: () => RetryPolicy): Promise<void> {
    let ahead: EncodedAhead | null = null;
    while (this.store.size > 0 && !signal.aborted) {
      const batch = this.store.take(this.batchSize);
      this.events.onTaken();
      const encoded = ahead !== null && sameEvents(ahead.events, batch) ? ahead.encoded : undefined;
      // Encode the next batch (its JSON here, its gzip on the thread pool) while this one is on
      // the wire. It is used only if the next take() returns exactly these events.
      ahead = this.encodeAhead(this.store.peek(this.batchSize));
      const leftover = await this.sendBatch(batch, signal, policy, encoded);
      if (leftover.length > 0) {
        this.stats.requeued += leftover.length;
        const evicted = this.store.requeue(leftover);
        if (evicted > 0) this.events.onEvicted(evicted);
        return;
      }
    }
  }

  private encodeAhead(events: TaskCompletionEvent[]): EncodedAhead | null {
    if (events.length === 0) return null;
    const encoded = this.transport.encodeAhead({ events });
    if (encoded === undefined) return null;
    // Nobody may await it (the queue changed); its failure then must not be an unhandled rejection.
    encoded.catch(() => {});
    return { events, encoded };
  }

  /** Sends one batch; returns the events to put back (in order), empty when it is settled. */
  private async sendBatch(
    events: TaskCompletionEvent[],
    signal: AbortSignal,
    policy: () => RetryPolicy,
    encoded?: Promise<EncodedBody>,
  ): Promise<TaskCompletionEvent[]> {
    const result = await this.transport.send({ url: this.url, payload: { events }, encoded }, signal, policy);
    switch (result.kind) {
      case "ok":
        this.settle(events, result.body);
        return [];
      case "aborted":
      case "retryable":
        // Kept for the next cycle (or the next process, through the spool).
        return events;
      case "final": {
        if (result.status === 413 && events.length > 1) {
          const middle = Math.ceil(events.length / 2);
          const first = events.slice(0, middle);
          const second = events.slice(middle);
          const firstLeft = await this.sendBatch(first, signal, policy);
          if (firstLeft.length > 0) return firstLeft.concat(second);
          return this.sendBatch(second, signal, policy);
        }
        // 401, 403, 413 for a single event, 501, other 4xx: final, the events are dropped.
        this.stats.dropped += events.length;
        this.store.settle(events);
        this.report(result.error);
        return [];
      }
    }
  }

  private settle(events: TaskCompletionEvent[], body: unknown): void {
    this.store.settle(events);
    const results = (body as { results?: unknown } | undefined)?.results;
    if (!Array.isArray(results) || results.length !== events.length) {
      // A 200 means every accepted event is durable; without readable results count them delivered.
      this.stats.sent += events.length;
      return;
    }
    for (let i = 0; i < events.length; i++) {
      const item = results[i] as Partial<EventResult> | undefined;
      if (item?.status === "rejected") {
        this.stats.rejected++;
        this.stats.dropped++;
        const eventId = (events[i] as TaskCompletionEvent).event_id ?? null;
        const reason = [item.code, item.message].filter((part) => typeof part === "string").join(": ");
        this.report(new TelemetryEventError("event_rejected", `Event ${eventId} rejected by the server: ${reason}`, eventId));
      } else {
        this.stats.sent++;
        if (item?.status === "duplicate") this.stats.duplicates++;
      }
    }
  }
}
