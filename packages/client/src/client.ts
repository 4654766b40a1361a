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
import { normalizeOptions, type NormalizedOptions, type TelemetryClientOptions } from "./options.js";
import { resolvePlatform, type FetchLike, type Platform } from "./platform.js";
import { PredictionCache } from "./predictions/prediction-cache.js";
import { refreshPredictions } from "./predictions/prediction-refresher.js";
import { EventQueue } from "./queue/event-queue.js";
import { estimateEventBytes } from "./queue/event-size.js";
import { makeReporter, type Report } from "./reporter.js";
import { emptyStats, type TelemetryStats } from "./stats.js";
import { DryRunTransport } from "./transport/dry-run-transport.js";
import { FetchTransport } from "./transport/fetch-transport.js";
import { RateLimitGate } from "./transport/rate-limit-gate.js";
import { RetryingTransport } from "./transport/retrying-transport.js";
import type { Transport } from "./transport/transport.js";

const VALID = { ok: true } as const;

/** What `stop()` resolves with: totals since the client was made, and what is still queued. */
export interface StopResult {
  /** Events delivered (accepted or duplicate), in total. */
  sent: number;
  /** Events lost, in total (see `TelemetryStats.dropped`). */
  dropped: number;
  /** Events still queued when stop() gave up (timeout or retries exhausted); lost if the process exits. */
  pending: number;
}

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
  private readonly queue: EventQueue<TaskCompletionEvent>;
  private readonly transport: Transport;
  private readonly sender: BatchSender;
  private readonly cache: PredictionCache;
  /** Aborted when stop() runs out of time: ends sends, retries and waits at once. */
  private readonly abort = new AbortController();
  private cancelTimer: (() => void) | null = null;
  private flushing: Promise<void> | null = null;
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
    this.queue = new EventQueue(normalized.maxQueueSize, normalized.maxQueueBytes);
    this.cache = new PredictionCache(normalized.predictionCacheTtlMs, this.platform.now);
    this.transport = new RetryingTransport(
      this.makeTransport(),
      normalized.maxRetries,
      new RateLimitGate(this.platform),
      this.platform,
      () => {
        this.stats.retried++;
      },
    );
    this.sender = new BatchSender(
      this.queue,
      this.transport,
      normalized.eventsUrl ?? "",
      normalized.batchSize,
      this.stats,
      this.report,
      {
        onTaken: () => {
          this.overflowReported = false;
        },
        onEvicted: (count) => this.noteEvicted(count),
      },
    );
  }

  /** Starts the background timer that sends the queue every `submitIntervalMs`. Idempotent; the timer never keeps the process alive. */
  start(): void {
    if (!this.active() || this.cancelTimer !== null || this.stopping !== null) return;
    this.cancelTimer = this.platform.every(() => void this.flush(), this.options.submitIntervalMs);
  }

  /**
   * Queues an event for sending. Returns at once and never throws. Does nothing when `enabled`
   * is false; an invalid event is dropped and reported; a full queue evicts its oldest events.
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
      const evicted = this.queue.push(event, estimateEventBytes(event));
      if (evicted > 0) this.noteEvicted(evicted);
    } catch (cause) {
      this.report(new TelemetryError("internal_error", "track() failed; event dropped", { cause }));
    }
  }

  /**
   * Sends everything queued, including events tracked while it runs, in batches of `batchSize`.
   * One flush at a time: concurrent callers share the same promise. Never rejects.
   */
  flush(): Promise<void> {
    if (this.flushing !== null) return this.flushing;
    if (!this.active()) return Promise.resolve();
    const run = this.sender
      .drain(this.abort.signal)
      .catch((cause: unknown) => this.report(new TelemetryError("internal_error", "flush failed", { cause })))
      .finally(() => {
        this.flushing = null;
      });
    this.flushing = run;
    return run;
  }

  /**
   * Stops the timer and sends what is queued, for at most `stopTimeoutMs`. Never rejects; safe to
   * call twice (the same promise). After stop, `track()` drops events (reported once).
   */
  stop(): Promise<StopResult> {
    if (this.stopping !== null) return this.stopping;
    this.cancelTimer?.();
    this.cancelTimer = null;
    this.stopping = this.finish().catch(() => this.stopResult());
    return this.stopping;
  }

  /**
   * Fetches predictions for these queries (50 per request) into the cache. Never rejects: a failed
   * request is reported and the entries already cached are kept. Makes no request when disabled or in dryRun.
   */
  async refreshPredictions(queries: PredictionQuery[]): Promise<void> {
    if (!this.active() || this.options.dryRun || this.options.predictionsUrl === null) return;
    try {
      await refreshPredictions(queries, this.options.predictionsUrl, this.transport, this.cache, this.report, this.abort.signal);
    } catch (cause) {
      this.report(new TelemetryError("internal_error", "refreshPredictions failed", { cause }));
    }
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
    return { ...this.stats, queued: this.queue.size, queuedBytes: this.queue.bytes };
  }

  /** Enabled and able to send (or to pretend to, in dryRun). */
  private active(): boolean {
    return this.options.enabled && this.options.canSend;
  }

  private async finish(): Promise<StopResult> {
    // The one timer that holds the process: the caller awaits stop(), and every other wait of
    // the SDK (retry backoff, a Retry-After pause) is unref'd, so without it an awaited stop()
    // during such a wait would never settle (the process would exit under it). It is bounded by
    // stopTimeoutMs and cancelled as soon as stop() is done.
    const cancelDeadline = this.platform.after(() => this.abort.abort(), this.options.stopTimeoutMs, true);
    try {
      const wasRunning = this.flushing !== null;
      await this.flush();
      // A flush already running may have started before the last events were tracked or given up early.
      if (wasRunning && this.queue.size > 0) await this.flush();
    } finally {
      cancelDeadline();
    }
    return this.stopResult();
  }

  private stopResult(): StopResult {
    return { sent: this.stats.sent, dropped: this.stats.dropped, pending: this.queue.size };
  }

  private refuseAfterStop(): void {
    this.stats.dropped++;
    if (this.stoppedReported) return;
    this.stoppedReported = true;
    this.report(new TelemetryError("client_stopped", "track() after stop(): events are dropped"));
  }

  /** Counts evictions and warns once per burst (until the sender next takes from the queue). */
  private noteEvicted(count: number): void {
    this.stats.evicted += count;
    this.stats.dropped += count;
    if (this.overflowReported) return;
    this.overflowReported = true;
    this.report(
      new TelemetryError(
        "queue_overflow",
        `Telemetry queue full (maxQueueSize ${this.options.maxQueueSize}, maxQueueBytes ${this.options.maxQueueBytes}): evicting the oldest events`,
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
    return new FetchTransport(fetchImpl, this.options.apiKey, this.options.requestTimeoutMs, this.platform);
  }
}
