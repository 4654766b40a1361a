import type { AppDeps } from "../app.js";
import type { ApiKeyCache } from "../auth/api-key-cache.js";
import { createRedisRevocationNotifier } from "./redis-revocation-notifier.js";
import { RedisLink, type RedisLinkLog } from "./redis-link.js";

export interface ConnectClusterOptions {
  /** REDIS_URL; logged only with its password masked. */
  url: string;
  /** REDIS_KEY_PREFIX, e.g. "mosaic:" */
  keyPrefix: string;
  /** This process's key cache: emptied when the revocation channel comes back after an outage. */
  keyCache: ApiKeyCache;
  log: RedisLinkLog;
  /** How long the start waits for Redis before going on without it. @default 3000 */
  connectTimeoutMs?: number;
}

/** What a process shares with the others through Redis, ready to hand to buildApp. */
export interface ClusterParts {
  link: RedisLink;
  appDeps: Required<Pick<AppDeps, "revocations" | "rateLimitRedis" | "redisHealth" | "rateLimitKeyPrefix">>;
  close(): Promise<void>;
}

/**
 * Connects this process to the shared Redis: counters of the rate limiter under
 * `<prefix>rl:`, revocations on the channel `<prefix>revocations`. Never fails the start for an
 * unreachable Redis: the process runs on the fallbacks (docs/operations.md) and reconnects.
 */
export async function connectCluster(options: ConnectClusterOptions): Promise<ClusterParts> {
  const link = new RedisLink(options.url, { keyPrefix: options.keyPrefix, log: options.log });
  const revocations = createRedisRevocationNotifier({
    publisher: link.commands,
    subscriber: link.subscriber,
    channel: `${options.keyPrefix}revocations`,
    onResubscribed: () => {
      options.keyCache.clear();
      options.log.info({}, "revocation channel back: key cache emptied (revocations may have been missed)");
    },
    onPublishError: (error) =>
      options.log.warn({ reason: error.message }, "revocation not broadcast (redis): other processes refuse the key when their cache entry expires"),
  });
  const state = await link.connect(options.connectTimeoutMs ?? 3000);
  if (state === "up") {
    // The first SUBSCRIBE follows the connection by a round trip; a revocation right after the
    // start must not be missed.
    await Promise.race([revocations.ready, delay(1000)]);
  }
  // Not subscribed by now: the cache the process fills may miss revocations until it is.
  revocations.markServing();
  return {
    link,
    appDeps: { revocations, rateLimitRedis: link.commands, redisHealth: link, rateLimitKeyPrefix: `${options.keyPrefix}rl:` },
    close: () => link.close(),
  };
}

function delay(ms: number): Promise<void> {
  return new Promise((done) => setTimeout(done, ms).unref());
}
