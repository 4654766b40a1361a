import {
  validateEvent,
  type PredictionQuery,
  type PredictionResponse,
  type TaskCompletionEvent,
} from "@mosaicstack/telemetry-protocol";
import { BatchSender } from "./batch-sender.js";
import { TelemetryConfigError, TelemetryError, TelemetryEventError } from "./errors.js";
import { EventBuilder } from "./event-builder.js";
import { isValidEvent } from "./event-check.js";
import { onProcessEnd } from "./exit-hook.js";
import { normalizeOptions, type NormalizedOptions, type TelemetryClientOptions } from "./options.js";
import { OutageMonitor } from "./outage-monitor.js";
import { resolvePlatform, type FetchLike, type Platform } from "./platform.js";
import { PredictionCache } from "./predictions/prediction-cache.js";
import { refreshPredictions } from "./predictions/prediction-refresher.js";
import type { EventStore } from "./queue/event-store.js";
import { openEventStore } from "./queue/open-event-store.js";
import { makeReporter, type Report } from "./reporter.js";
import { emptyStats, type TelemetryStats } from "./stats.js";
import { DryRunTransport } from "./transport/dry-run-transport.js";
import { FetchTransport } from "./transport/fetch-transport.js";
import { RateLimitGate } from "./transport/rate-limit-gate.js";
import { cyclePolicy, deadlinePolicy, type RetryPolicy } from "./transport/retry-policy.js";
import { RetryingTransport } from "./transport/retrying-transport.js";
import type { Transport } from "./transport/transport.js";
import { pendingReason, type FlushResult, type StopResult } from "./results.js";

const VALID = { ok: true } as const;
/** The longest a timer may be (2^31 - 1 ms): a hold that lasts until cancelled. */
const HOLD_MS = 2_147_483_647;
const noop = (): void => {};

/**
 * Reports finished AI coding tasks to Mosaic Telemetry and reads cached predictions.
 * Nothing here throws at the caller: problems go to `onError`.
 */
export class TelemetryClient {
  /** Completes event fields with id, timestamp, instance id and schema version. */
  readonly eventBuilder: EventBuilder;

  private readonly options: NormalizedOptions;
  private readonly platform: Platform;
  private readonly report: Report;
  private readonly stats: TelemetryStats = emptyStats();
  private readonly store: EventStore;
  private readonly outage: OutageMonitor;
  private readonly transport: RetryingTransport;
  private readonly sender: BatchSender;
  private readonly cache: PredictionCache;
  /** Aborted when stop() runs out of time: ends sends, retries and waits at once. */
  private readonly abort = new AbortController();
  /** Aborted when stop() begins: wakes a background send in a backoff to read the stop policy. */
  private readonly stopBegun = new AbortController();
  /** The policy drains read at each retry decision: the cycle's until stop(), then the deadline's. */
  private policy: RetryPolicy;
  private readonly unregister: (() => void)[] = [];
  /** Told when the event loop empties (held weakly by the process hook, strongly by this client). */
  private readonly processEnd = { onProcessEnd: (): void => this.sendAtProcessEnd() };
  private cancelTimer: (() => void) | null = null;
  private flushing: Promise<FlushResult> | null = null;
  private stopping: Promise<StopResult> | null = null;
  private overflowReported = false;
  private stoppedReported = false;

  constructor(options: TelemetryClientOptions) {
    const { options: normalized, problems } = normalizeOptions(options);
    const input: Partial<TelemetryClientOptions> = typeof options === "object" && options !== null ? options : {};
    this.options = normalized;
    this.platform = resolvePlatform(input.hooks);
    this.report = makeReporter(input.onError);
    for (const problem of problems) this.report(problem);

    this.eventBuilder = new EventBuilder(normalized.instanceId, this.platform.now);
    this.cache = new PredictionCache(normalized.predictionCacheTtlMs, this.platform.now);
    this.policy = cyclePolicy(normalized.maxRetries, this.stopBegun.signal);
    this.outage = new OutageMonitor(this.report, this.stats);
    this.transport = new RetryingTransport(this.makeTransport(), cyclePolicy(normalized.maxRetries), new RateLimitGate(this.platform), this.platform, this.outage);
    const opened = openEventStore(normalized, this.active() && !normalized.dryRun, this.report);
    this.store = opened.store;
    this.stats.recovered = opened.recovered.length;
    this.stats.spoolSkipped = opened.skipped;
    this.noteEvicted(this.store.adopt(opened.recovered));
    this.sender = new BatchSender(this.store, this.transport, normalized.eventsUrl ?? "", normalized.batchSize, this.stats, this.report, {
      onTaken: () => {
        this.overflowReported = false;
      },
      onEvicted: (count) => this.noteEvicted(count),
    });
    if (this.active() && normalized.sendOnExit) this.unregister.push(onProcessEnd(this.processEnd));
  }

  /** Starts the background timer that sends the queue every `submitIntervalMs`. Idempotent; the timer never keeps the process alive. */
  start(): void {
    if (!this.active() || this.cancelTimer !== null || this.stopping !== null) return;
    // Taken-over spool events go out at once rather than after the first interval.
    if (this.store.size > 0) void this.drain();
    this.cancelTimer = this.platform.every(() => {
      this.takeOverLeftovers();
      void this.drain();
    }, this.options.submitIntervalMs);
  }

  /**
   * Queues an event for sending (and writes it to the spool, when one is on). Returns at once and
   * never throws. Does nothing when `enabled` is false; an invalid event is dropped and reported;
   * a full queue evicts its oldest events.
   */
  track(event: TaskCompletionEvent): void {
    if (!this.options.enabled) return;
    try {
      if (this.stopping !== null) return this.refuseAfterStop();
      if (!this.options.canSend) {
        // The configuration problem was reported once at construction.
        this.stats.dropped++;
        return;
      }
      const now = this.platform.now();
      // The fast check decides nearly every call; only a doubtful event meets the protocol's
      // validator, whose verdict stands and whose message is reported.
      const check = isValidEvent(event, now) ? VALID : validateEvent(event, { now });
      if (!check.ok) {
        this.stats.invalid++;
        this.stats.dropped++;
        const id = (event as { event_id?: unknown } | null)?.event_id;
        this.report(
          new TelemetryEventError("invalid_event", `Invalid event dropped: ${check.message}`, typeof id === "string" ? id : null, check.field),
        );
        return;
      }
      const evicted = this.store.push(event);
      if (evicted > 0) this.noteEvicted(evicted);
    } catch (cause) {
      this.report(new TelemetryError("internal_error", "track() failed; event dropped", { cause }));
    }
  }

  /**
   * Sends everything queued, including events tracked while it runs, in batches of `batchSize`,
   * retrying each up to `maxRetries` (a Retry-After pause over a minute is not waited for: the
   * batch stays queued). One send at a time: concurrent callers share it. Never rejects, and
   * always settles: it holds the process open until it does, so an awaited flush() with the far
   * end down resolves after its retries (with what is left in `pending`).
   */
  flush(): Promise<FlushResult> {
    return this.holdUntilSettled(this.drain());
  }

  /**
   * Stops the timer and sends what is queued, retrying with backoff and honouring Retry-After
   * until `stopTimeoutMs` runs out. Never rejects; safe to call twice (the same promise). Events
   * still unsent then are reported once and stay in the spool when one is on. After stop,
   * `track()` drops events (reported once).
   */
  stop(): Promise<StopResult> {
    if (this.stopping !== null) return this.stopping;
    this.cancelTimer?.();
    this.cancelTimer = null;
    this.stopping = this.finish().catch(() => this.stopResult(null));
    return this.stopping;
  }

  /**
   * Fetches predictions for these queries (50 per request) into the cache. Never rejects: a failed
   * request is reported and the entries already cached are kept. Makes no request when disabled or in dryRun.
   */
  refreshPredictions(queries: PredictionQuery[]): Promise<void> {
    if (!this.active() || this.options.dryRun || this.options.predictionsUrl === null) return Promise.resolve();
    const predictionsUrl = this.options.predictionsUrl;
    return this.holdUntilSettled(
      refreshPredictions(queries, predictionsUrl, this.transport, this.cache, this.report, this.abort.signal).catch((cause: unknown) =>
        this.report(new TelemetryError("internal_error", "refreshPredictions failed", { cause })),
      ),
    );
  }

  /** The cached prediction for this query, or null when none is cached or it expired. Synchronous; never throws. */
  getPrediction(query: PredictionQuery): PredictionResponse | null {
    try {
      if (typeof query !== "object" || query === null) return null;
      return this.cache.get(query);
    } catch {
      return null;
    }
  }

  /** A snapshot of the counters. */
  getStats(): TelemetryStats {
    return { ...this.stats, queued: this.store.size, queuedBytes: this.store.bytes };
  }

  /**
   * Holds the process open until `run` settles. The SDK's waits (backoff, Retry-After) are
   * unref'd so that it never keeps a program alive, which would let a program that awaits this
   * call end under it with the await unsettled (Node exits with code 13). `run` is bounded: by
   * its retries and the longest pause a background send waits (see RetryPolicy.maxPauseMs).
   */
  private holdUntilSettled<T>(run: Promise<T>): Promise<T> {
    const release = this.platform.after(noop, HOLD_MS, true);
    void run.finally(release);
    return run;
  }

  /** Enabled and able to send (or to pretend to, in dryRun). */
  private active(): boolean {
    return this.options.enabled && this.options.canSend;
  }

  /** One drain of the queue at a time, shared by the timer, flush() and stop(). */
  private drain(): Promise<FlushResult> {
    if (this.flushing !== null) return this.flushing;
    if (!this.active()) return Promise.resolve({ sent: 0, pending: this.store.size });
    const sentBefore = this.stats.sent;
    const run = this.sender
      .drain(this.abort.signal, () => this.policy)
      .catch((cause: unknown) => this.report(new TelemetryError("internal_error", "flush failed", { cause })))
      .then(() => ({ sent: this.stats.sent - sentBefore, pending: this.store.size }))
      .finally(() => {
        this.flushing = null;
      });
    this.flushing = run;
    return run;
  }

  /** Processes that shared the spool folder and died since this one started left files: take them over. */
  private takeOverLeftovers(): void {
    const { events, skipped } = this.store.claimLeftovers();
    this.stats.recovered += events.length;
    this.stats.spoolSkipped += skipped;
    this.noteEvicted(this.store.adopt(events));
  }

  /**
   * The event loop emptied with events unsent and no stop(): stop now, so they are sent before
   * the exit. Unsent includes a batch that a background send holds in a retry wait (unref'd, so
   * it did not keep the loop alive): stop() wakes it.
   */
  private sendAtProcessEnd(): void {
    if (this.stopping === null && (this.store.size > 0 || this.flushing !== null)) void this.stop();
  }

  private async finish(): Promise<StopResult> {
    const deadline = this.platform.now() + this.options.stopTimeoutMs;
    this.policy = deadlinePolicy(deadline);
    this.stopBegun.abort();
    // The one timer that holds the process: the caller awaits stop(), and every other wait of
    // the SDK (retry backoff, a Retry-After pause) is unref'd, so without it an awaited stop()
    // during such a wait would never settle (the process would exit under it). It is bounded by
    // stopTimeoutMs and cancelled as soon as stop() is done.
    const cancelDeadline = this.platform.after(() => this.abort.abort(), this.options.stopTimeoutMs, true);
    try {
      // A drain already running goes on under the deadline policy from its next decision; one
      // that gave up just before the switch reached it leaves events for a second drain. (Not a
      // loop: a drain under the deadline policy ends only empty, aborted or at the deadline.)
      await this.drain();
      if (this.store.size > 0 && !this.abort.signal.aborted && this.platform.now() < deadline) await this.drain();
    } finally {
      cancelDeadline();
      for (const unregister of this.unregister) unregister();
      this.store.flushWrites();
    }
    const reason = pendingReason(this.store.size, this.options.stopTimeoutMs, this.outage.lastFailure, this.store.spooled);
    await this.store.close();
    if (reason !== null) this.report(new TelemetryError("events_pending", reason, { cause: this.outage.lastFailure ?? undefined }));
    return this.stopResult(reason);
  }

  private stopResult(reason: string | null): StopResult {
    return { sent: this.stats.sent, dropped: this.stats.dropped, pending: this.store.size, reason };
  }

  private refuseAfterStop(): void {
    this.stats.dropped++;
    if (this.stoppedReported) return;
    this.stoppedReported = true;
    this.report(new TelemetryError("client_stopped", "track() after stop(): events are dropped"));
  }

  /** Counts evictions and warns once per burst (until the sender next takes from the queue). */
  private noteEvicted(count: number): void {
    if (count === 0) return;
    this.stats.evicted += count;
    this.stats.dropped += count;
    if (this.overflowReported) return;
    this.overflowReported = true;
    this.report(
      new TelemetryError(
        "queue_overflow",
        `Telemetry queue full (maxQueueSize ${this.options.maxQueueSize}, maxQueueBytes ${this.options.maxQueueBytes}, spoolMaxBytes ${this.options.spoolMaxBytes}): evicting the oldest events`,
      ),
    );
  }

  private makeTransport(): Transport {
    if (this.options.dryRun) return new DryRunTransport();
    const fetchImpl = this.options.fetch ?? (globalThis.fetch as unknown as FetchLike | undefined);
    if (fetchImpl === undefined) {
      if (this.options.enabled) this.report(new TelemetryConfigError("invalid_config", "fetch", "No fetch available (Node.js >= 18 required); events will be dropped"));
      return new DryRunTransport();
    }
    return new FetchTransport(fetchImpl, this.options.apiKey, this.options.requestTimeoutMs, this.platform, this.options.gzip);
  }
}
