import type { Redis } from "ioredis";
import type { FailureCounter } from "../auth/auth-failure-throttle.js";
import { FailoverRateLimitStore } from "./failover-rate-limit-store.js";
import type { RedisHealth } from "./redis-health.js";

/**
 * The auth-failure throttle's counter in Redis, shared by every process: the rate limiter's
 * store (one fixed window per key, atomically; while Redis fails, counted in this process).
 */
export function sharedFailureCounter(redis: Redis, keyPrefix: string, health: RedisHealth): FailureCounter {
  const store = new FailoverRateLimitStore({ redis, keyPrefix, health });
  return (key, windowMs) =>
    new Promise((resolve, reject) => {
      store.incr(
        key,
        (error, result) => {
          if (error !== null || result === undefined) reject(error ?? new Error("no count"));
          else resolve(result);
        },
        windowMs,
      );
    });
}
