import type { TaskCompletionEvent } from "@mosaicstack/telemetry-protocol";
import type { Spool, SpoolRecovery } from "../spool/spool.js";
import { EventQueue } from "./event-queue.js";
import { estimateEventBytes } from "./event-size.js";

/**
 * The events the client holds until the server has answered for them: the in-memory queue
 * (sending order, memory bounds) mirrored to the spool when one is on, so that the spool holds
 * exactly the queued events plus those in flight. An event leaves the spool when it leaves the
 * client for good: answered (accepted, duplicate, rejected), dropped on a final failure, or evicted.
 */
export class EventStore {
  private readonly queue: EventQueue<TaskCompletionEvent>;

  constructor(
    maxItems: number,
    maxBytes: number,
    private readonly spool: Spool | null,
    private readonly spoolMaxBytes: number,
  ) {
    this.queue = new EventQueue(maxItems, maxBytes, spool === null ? undefined : (event) => spool.remove([event.event_id]));
  }

  get size(): number {
    return this.queue.size;
  }

  get bytes(): number {
    return this.queue.bytes;
  }

  /** True while events are written to disk. */
  get spooled(): boolean {
    return this.spool !== null && this.spool.active;
  }

  /** Holds a newly tracked event (and spools it); returns how many old events were evicted for it. */
  push(event: TaskCompletionEvent): number {
    let evicted = this.queue.push(event, estimateEventBytes(event));
    const spool = this.spool;
    if (spool !== null && spool.active) {
      spool.append(event.event_id, event);
      // The byte bound on disk: FIFO, as the queue's own bounds. Events in flight stay (they are
      // being answered for); the event just tracked stays too.
      while (spool.liveBytes > this.spoolMaxBytes && this.queue.size > 1) {
        this.queue.evictOldest();
        evicted++;
      }
    }
    return evicted;
  }

  /**
   * The events of earlier processes' files that the spool took over (already in this process's
   * file), checked: an event that is not an object carrying the id it was spooled under could
   * only come from another writer, and would sit in the spool for ever, so it is let go (and
   * counted as skipped). Hold the returned events with adopt().
   */
  takeOver(recovered: SpoolRecovery): { events: TaskCompletionEvent[]; skipped: number } {
    const events: TaskCompletionEvent[] = [];
    recovered.events.forEach((event, i) => {
      const id = recovered.ids[i] as string;
      if ((event as { event_id?: unknown } | null)?.event_id === id) events.push(event as TaskCompletionEvent);
      else this.spool?.remove([id]);
    });
    return { events, skipped: recovered.corruptRecords + recovered.events.length - events.length };
  }

  /** Files of processes that died since this one started, taken over as at the start (none without a spool). */
  claimLeftovers(): { events: TaskCompletionEvent[]; skipped: number } {
    if (this.spool === null || !this.spool.active) return { events: [], skipped: 0 };
    return this.takeOver(this.spool.claimLeftovers());
  }

  /** Holds events an earlier process left in the spool (already on disk); returns how many were evicted. */
  adopt(events: readonly TaskCompletionEvent[]): number {
    let evicted = 0;
    for (const event of events) evicted += this.queue.push(event, estimateEventBytes(event));
    return evicted;
  }

  /** Removes up to `n` events from the front for sending; they stay spooled until settled. */
  take(n: number): TaskCompletionEvent[] {
    return this.queue.take(n);
  }

  /** The events the next take(n) would return, if nothing changes meanwhile; they stay queued. */
  peek(n: number): TaskCompletionEvent[] {
    return this.queue.peek(n);
  }

  /** Puts unsent events back at the front; returns how many were evicted meanwhile. */
  requeue(events: readonly TaskCompletionEvent[]): number {
    return this.queue.requeue(events, estimateEventBytes);
  }

  /** These events have left the client for good: the spool forgets them. */
  settle(events: readonly TaskCompletionEvent[]): void {
    if (this.spool === null || events.length === 0) return;
    this.spool.remove(events.map((event) => event.event_id));
  }

  /** Writes what the spool buffered this turn, synchronously. */
  flushWrites(): void {
    this.spool?.flushWrites();
  }

  /** Writes, fsyncs and closes the spool; what is still queued stays on disk for the next client. */
  async close(): Promise<void> {
    await this.spool?.close();
  }
}
