import type { Redis } from "ioredis";
import type { RedisHealth } from "./redis-health.js";

/** One counter's state as @fastify/rate-limit expects it from a store. */
export interface RateLimitCount {
  current: number;
  /** Milliseconds until the window ends. */
  ttl: number;
}

type IncrCallback = (error: Error | null, result?: RateLimitCount) => void;

/** The part of @fastify/rate-limit's store contract that this project uses (fixed windows). */
export interface RateLimitStore {
  incr(key: string, callback: IncrCallback, timeWindow: number, max: number): void;
  child(routeOptions: { routeInfo: { method: string; url: string } }): RateLimitStore;
}

export interface FailoverStoreOptions {
  redis: Redis;
  /** Prefix of the counter keys, e.g. "mosaic:rl:". */
  keyPrefix: string;
  health: RedisHealth;
  /** A Redis answer slower than this counts as a failure (generous: event-loop lag must not trip it). @default 1000 */
  commandTimeoutMs?: number;
  /** After a failure, Redis is tried again at most this often (the rest count locally). @default 1000 */
  probeIntervalMs?: number;
  /** Counters kept by the local fallback at most. @default 10000 */
  localCapacity?: number;
  /** @default Date.now */
  now?: () => number;
}

// INCR and, on the window's first hit, PEXPIRE, atomically: every process shares one window.
const FIXED_WINDOW_LUA = `
local current = redis.call('INCR', KEYS[1])
if current == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end
local ttl = redis.call('PTTL', KEYS[1])
if ttl < 0 then redis.call('PEXPIRE', KEYS[1], ARGV[1]); ttl = tonumber(ARGV[1]) end
return {current, ttl}`;

type ScriptedRedis = Redis & { mosaicFixedWindow?: (key: string, windowMs: number) => Promise<[number, number]> };

/**
 * A rate-limit store that counts in Redis (one budget across every process) and, while Redis
 * fails, in this process: each process then enforces the limit on its own, so N processes let
 * at most N times the limit through, instead of everything (skipOnError) or nothing (500s).
 * When Redis answers again the shared counters take over by themselves.
 */
export class FailoverRateLimitStore implements RateLimitStore {
  readonly #options: Required<Omit<FailoverStoreOptions, "redis" | "health">> & Pick<FailoverStoreOptions, "redis" | "health">;
  readonly #local: LocalWindows;
  /**
   * Shared by a store and its children: one failure stops every route from waiting on Redis.
   * After a failure Redis is suspect: one request at a time probes it (at most one per
   * probeIntervalMs), the others count locally meanwhile, so a stall holds one request, not all.
   */
  readonly #shared: { lastFailureAt: number; suspect: boolean; probing: boolean };

  constructor(options: FailoverStoreOptions, shared = { lastFailureAt: Number.NEGATIVE_INFINITY, suspect: false, probing: false }) {
    this.#options = {
      commandTimeoutMs: 1000,
      probeIntervalMs: 1000,
      localCapacity: 10_000,
      now: Date.now,
      ...options,
    };
    this.#shared = shared;
    this.#local = new LocalWindows(this.#options.localCapacity, this.#options.now);
    const redis = options.redis as ScriptedRedis;
    if (redis.mosaicFixedWindow === undefined) redis.defineCommand("mosaicFixedWindow", { numberOfKeys: 1, lua: FIXED_WINDOW_LUA });
  }

  incr(key: string, callback: IncrCallback, timeWindow: number): void {
    const { redis, health, now, probeIntervalMs } = this.#options;
    const shared = this.#shared;
    const recentlyFailed = now() - shared.lastFailureAt < probeIntervalMs;
    if (redis.status !== "ready" || recentlyFailed || (shared.suspect && shared.probing)) {
      callback(null, this.#local.incr(key, timeWindow));
      return;
    }
    const probe = shared.suspect;
    if (probe) shared.probing = true;
    this.#redisIncr(this.#options.keyPrefix + key, timeWindow).then(
      (count) => {
        if (probe) shared.probing = false;
        shared.suspect = false;
        health.reportCommandSuccess();
        callback(null, count);
      },
      (error: unknown) => {
        if (probe) shared.probing = false;
        shared.suspect = true;
        shared.lastFailureAt = now();
        health.reportCommandFailure(error instanceof Error ? error : new Error(String(error)));
        callback(null, this.#local.incr(key, timeWindow));
      },
    );
  }

  child(routeOptions: { routeInfo: { method: string; url: string } }): FailoverRateLimitStore {
    const { method, url } = routeOptions.routeInfo;
    return new FailoverRateLimitStore({ ...this.#options, keyPrefix: `${this.#options.keyPrefix}${method}${url}:` }, this.#shared);
  }

  async #redisIncr(key: string, windowMs: number): Promise<RateLimitCount> {
    const redis = this.#options.redis as ScriptedRedis;
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, fail) => {
      timer = setTimeout(() => fail(new Error("redis rate-limit command timed out")), this.#options.commandTimeoutMs);
    });
    try {
      const [current, ttl] = await Promise.race([(redis.mosaicFixedWindow as NonNullable<ScriptedRedis["mosaicFixedWindow"]>)(key, windowMs), timeout]);
      return { current: Number(current), ttl: Number(ttl) };
    } finally {
      clearTimeout(timer);
    }
  }
}

/** Fixed windows in this process, oldest key evicted first when full. */
class LocalWindows {
  readonly #windows = new Map<string, { count: number; endsAt: number }>();

  constructor(
    private readonly capacity: number,
    private readonly now: () => number,
  ) {}

  incr(key: string, windowMs: number): RateLimitCount {
    const now = this.now();
    let window = this.#windows.get(key);
    if (window === undefined || window.endsAt <= now) {
      if (window === undefined && this.#windows.size >= this.capacity) {
        const oldest = this.#windows.keys().next();
        if (oldest.done !== true) this.#windows.delete(oldest.value);
      }
      window = { count: 0, endsAt: now + windowMs };
      this.#windows.set(key, window);
    }
    window.count += 1;
    return { current: window.count, ttl: window.endsAt - now };
  }
}
