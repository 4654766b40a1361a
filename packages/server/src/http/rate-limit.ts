import type { FastifyInstance, FastifyRequest } from "fastify";
import rateLimit from "@fastify/rate-limit";
import type { Redis } from "ioredis";
import { HttpError } from "./http-error.js";

export interface RateLimitOptions {
  /**
   * Shared counters for several server processes (issue 4). Unset: counters in this process.
   * The client is borrowed, never closed here.
   */
  redis?: Redis;
  /** A store failure lets the request through instead of failing it. @default true with redis */
  skipOnError?: boolean;
}

/**
 * Registers @fastify/rate-limit without a global limit; routes opt in with `routeRateLimit`.
 * The counter key is the API key's id (the auth hook runs first, at the same onRequest stage),
 * so every key has its own budget whatever address it comes from. Headers follow the IETF draft
 * (RateLimit-Limit/-Remaining/-Reset) plus Retry-After in integer seconds on 429.
 */
export async function registerRateLimit(app: FastifyInstance, options: RateLimitOptions = {}): Promise<void> {
  await app.register(rateLimit, {
    global: false,
    enableDraftSpec: true,
    keyGenerator: (request: FastifyRequest) => (request.apiKey ? `key:${request.apiKey.id}` : `ip:${request.ip}`),
    ...(options.redis ? { redis: options.redis, nameSpace: "mosaic-rl:" } : {}),
    skipOnError: options.skipOnError ?? options.redis !== undefined,
    errorResponseBuilder: (_request, context) =>
      new HttpError("rate_limited", `rate limit of ${context.max} requests exceeded, retry in ${context.after}`),
  });
}

/** Route config of a limit of `perMinute` requests per API key per minute. */
export function routeRateLimit(perMinute: number): Record<string, unknown> {
  return { max: perMinute, timeWindow: 60_000 };
}
