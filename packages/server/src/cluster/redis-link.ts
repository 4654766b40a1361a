import { Redis, type RedisOptions } from "ioredis";
import { redactedUrl } from "./redacted-url.js";
import type { RedisHealth, RedisState } from "./redis-health.js";

/** What the link logs: one line per state change, never one per request. */
export interface RedisLinkLog {
  info(fields: object, message: string): void;
  warn(fields: object, message: string): void;
}

export interface RedisLinkOptions {
  /** Key and channel prefix, e.g. "mosaic:". */
  keyPrefix: string;
  log: RedisLinkLog;
  /** Longest wait between reconnect attempts. @default 2000 */
  maxReconnectDelayMs?: number;
  /** While a command has failed on open connections, Redis is PINGed this often to notice it answer again. @default 1000 */
  stallProbeIntervalMs?: number;
}

/** How long close() lets QUIT wait for Redis's answer before dropping the connection. */
const QUIT_WAIT_MS = 500;

/**
 * The two connections a server process keeps to Redis, and their state.
 *
 * - `commands` serves the rate limiter and PUBLISH. Its offline queue is off: while Redis is
 *   unreachable a command fails at once (the limiter then counts locally) instead of queueing
 *   behind a reconnect and holding the request.
 * - `subscriber` is in subscriber mode (a Redis connection that SUBSCRIBEs can run nothing else).
 *   It keeps its offline queue so the first SUBSCRIBE waits for the connection, and ioredis
 *   re-subscribes after every reconnect.
 *
 * Both reconnect forever (ioredis retryStrategy), so the link recovers by itself.
 */
export class RedisLink implements RedisHealth {
  readonly commands: Redis;
  readonly subscriber: Redis;
  readonly keyPrefix: string;
  readonly #log: RedisLinkLog;
  readonly #url: string;
  #state: RedisState = "down";
  #announcedDown = false;
  /** A command failed while both connections looked open (a stalled Redis or network). */
  #stalled = false;
  #closed = false;
  #stallProbe: NodeJS.Timeout | null = null;
  readonly #stallProbeIntervalMs: number;
  readonly #listeners = new Set<(state: RedisState) => void>();

  constructor(url: string, options: RedisLinkOptions) {
    this.keyPrefix = options.keyPrefix;
    this.#log = options.log;
    this.#url = redactedUrl(url);
    this.#stallProbeIntervalMs = Math.max(10, options.stallProbeIntervalMs ?? 1000);
    const maxDelay = Math.max(50, options.maxReconnectDelayMs ?? 2000);
    const common: RedisOptions = {
      lazyConnect: true,
      connectTimeout: 2000,
      // Reconnect forever, backing off to maxDelay: Redis coming back must be noticed by itself.
      retryStrategy: (attempt) => Math.min(attempt * 100, maxDelay),
      // A command issued while connected but never answered (a stalled network) fails after this.
      commandTimeout: 2000, // the limiter gives up after 1 s on its own; this frees stuck PUBLISHes
      maxRetriesPerRequest: 1,
    };
    this.commands = new Redis(url, { ...common, enableOfflineQueue: false, connectionName: "mosaic-commands" });
    // The subscriber waits for Redis however long it takes: its SUBSCRIBE must not be dropped.
    this.subscriber = new Redis(url, { ...common, connectionName: "mosaic-subscriber", commandTimeout: undefined, maxRetriesPerRequest: null });
    for (const client of [this.commands, this.subscriber]) {
      // Without an 'error' listener ioredis prints every failed reconnect; the state change is logged instead.
      client.on("error", () => this.#update());
      // A connection (re)established answers by definition: a stall noticed on the old one is over.
      client.on("ready", () => {
        this.#stalled = false;
        this.#update();
      });
      client.on("close", () => this.#update());
      client.on("end", () => this.#update());
    }
  }

  /**
   * Connects both clients, waiting at most `timeoutMs`. Never rejects: when Redis is unreachable
   * the process starts anyway on the documented fallbacks, and the link keeps reconnecting.
   */
  async connect(timeoutMs = 3000): Promise<RedisState> {
    const attempts = [this.commands, this.subscriber].map((client) => client.connect().catch(() => undefined));
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<void>((done) => {
      timer = setTimeout(done, timeoutMs);
      timer.unref();
    });
    await Promise.race([Promise.all(attempts), timeout]);
    clearTimeout(timer);
    this.#update();
    if (this.#state === "up") this.#log.info({ redis: this.#url }, "redis connected");
    else this.#announceDown();
    return this.#state;
  }

  state(): RedisState {
    return this.#state;
  }

  reportCommandFailure(): void {
    this.#stalled = true;
    this.#update();
    this.#probeWhileStalled();
  }

  reportCommandSuccess(): void {
    if (!this.#stalled) return;
    this.#stalled = false;
    this.#update();
  }

  /**
   * PINGs until Redis answers, so an idle process (no rate-limited request to report a success)
   * also sees the stall end: readyz says "up" again and "reachable again" is logged.
   */
  #probeWhileStalled(): void {
    if (this.#stallProbe !== null || this.#closed) return;
    this.#stallProbe = setTimeout(() => {
      // PING fails after the commands client's commandTimeout while the stall lasts.
      this.commands.ping().then(
        () => {
          this.#stallProbe = null;
          this.reportCommandSuccess();
        },
        () => {
          this.#stallProbe = null;
          if (this.#stalled) this.#probeWhileStalled();
        },
      );
    }, this.#stallProbeIntervalMs);
    this.#stallProbe.unref();
  }

  /** Called on every change of state. Returns the unsubscribe function. */
  onStateChange(listener: (state: RedisState) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /**
   * Closes both connections. Idempotent, and never waits on Redis for long: a stalled Redis must
   * not keep a SIGTERM from closing storage. The commands connection gets a QUIT (pending
   * replies arrive first) for at most QUIT_WAIT_MS, then is dropped; the subscriber has nothing
   * to flush and is dropped at once.
   */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    if (this.#stallProbe !== null) clearTimeout(this.#stallProbe);
    this.subscriber.disconnect();
    const commands = this.commands;
    if (commands.status !== "ready") {
      commands.disconnect();
      return;
    }
    let timer: NodeJS.Timeout | undefined;
    const waited = new Promise<void>((done) => (timer = setTimeout(done, QUIT_WAIT_MS)));
    await Promise.race([commands.quit().catch(() => undefined), waited]);
    clearTimeout(timer);
    // After QUIT's answer the connection is already closing; otherwise this cuts it.
    commands.disconnect();
  }

  #update(): void {
    if (this.#closed) return;
    const open = this.commands.status === "ready" && this.subscriber.status === "ready";
    const next: RedisState = open && !this.#stalled ? "up" : "down";
    if (next === this.#state) return;
    this.#state = next;
    if (next === "down") this.#announceDown();
    else if (this.#announcedDown) {
      this.#announcedDown = false;
      this.#log.info({ redis: this.#url }, "redis reachable again: rate limits shared, revocations broadcast");
    }
    for (const listener of this.#listeners) listener(next);
  }

  #announceDown(): void {
    if (this.#announcedDown) return;
    this.#announcedDown = true;
    this.#log.warn(
      { redis: this.#url },
      "redis unreachable: rate limits count per process, revocations reach other processes within the key cache TTL; reconnecting",
    );
  }
}
