import type { FastifyInstance, FastifyRequest } from "fastify";
import rateLimit, { type FastifyRateLimitStoreCtor } from "@fastify/rate-limit";
import type { Redis } from "ioredis";
import { FailoverRateLimitStore } from "../cluster/failover-rate-limit-store.js";
import { commandOutcomeHealth, type RedisHealth } from "../cluster/redis-health.js";
import { HttpError } from "./http-error.js";

export interface RateLimitOptions {
  /**
   * Shared counters for several server processes. Unset: counters in this process.
   * The client is borrowed, never closed here.
   */
  redis?: Redis;
  /** Prefix of the counter keys in Redis. @default "mosaic:rl:" */
  keyPrefix?: string;
  /**
   * Told of each Redis failure and recovery (a RedisLink, which logs once per outage and feeds
   * readyz). @default one warning in this app's log per outage
   */
  health?: RedisHealth;
}

/**
 * Registers @fastify/rate-limit without a global limit; routes opt in with `routeRateLimit`.
 * The counter key is the API key's id (the auth hook runs first, at the same onRequest stage),
 * so every key has its own budget whatever address it comes from. Headers follow the IETF draft
 * (RateLimit-Limit/-Remaining/-Reset) plus Retry-After in integer seconds on 429.
 *
 * With Redis the counters are shared by every process; while Redis fails each process counts on
 * its own (FailoverRateLimitStore), so limits still hold per process (docs/operations.md).
 */
export async function registerRateLimit(app: FastifyInstance, options: RateLimitOptions = {}): Promise<void> {
  const { redis } = options;
  await app.register(rateLimit, {
    global: false,
    enableDraftSpec: true,
    keyGenerator: (request: FastifyRequest) => (request.apiKey ? `key:${request.apiKey.id}` : `ip:${request.ip}`),
    ...(redis ? { store: failoverStoreClass(redis, options.keyPrefix ?? "mosaic:rl:", options.health ?? commandOutcomeHealth(app.log)) } : {}),
    skipOnError: false,
    errorResponseBuilder: (_request, context) =>
      new HttpError("rate_limited", `rate limit of ${context.max} requests exceeded, retry in ${context.after}`),
  });
}

/** @fastify/rate-limit builds its store with `new store(globalOptions)`: a class bound to our options. */
function failoverStoreClass(redis: Redis, keyPrefix: string, health: RedisHealth): FastifyRateLimitStoreCtor {
  return class extends FailoverRateLimitStore {
    constructor() {
      super({ redis, keyPrefix, health });
    }
  } as unknown as FastifyRateLimitStoreCtor;
}

/** Route config of a limit of `perMinute` requests per API key per minute. */
export function routeRateLimit(perMinute: number): Record<string, unknown> {
  return { max: perMinute, timeWindow: 60_000 };
}
