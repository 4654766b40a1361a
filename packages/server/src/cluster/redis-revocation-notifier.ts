import type { Redis } from "ioredis";
import type { RevocationNotifier } from "../auth/revocation-notifier.js";

export interface RedisRevocationNotifierOptions {
  /** A client in normal mode: PUBLISH. Its failures are reported, never thrown. */
  publisher: Redis;
  /** A dedicated client this notifier puts in subscriber mode. */
  subscriber: Redis;
  /** e.g. "mosaic:revocations" */
  channel: string;
  /**
   * Called when the subscription is back after a disconnect: revocations published meanwhile
   * were lost (pub/sub keeps nothing), so the caller drops every cached key.
   */
  onResubscribed?: () => void;
  /** Told when a revocation could not be broadcast (the key is revoked in storage all the same). */
  onPublishError?: (error: Error) => void;
}

/** Key ids are short tokens; anything else on the channel is not ours and is ignored. */
const KEY_ID = /^[\w-]{1,128}$/;

/**
 * Revocations across processes through Redis pub/sub: `publish` evicts the key in this process at
 * once, then PUBLISHes its id; every process (this one included) evicts it when the message
 * arrives, within milliseconds. While Redis is unreachable other processes refuse the key when
 * their cached lookup expires (API_KEY_CACHE_TTL_MS), and every process drops its whole cache
 * when its subscription comes back.
 */
export function createRedisRevocationNotifier(
  options: RedisRevocationNotifierOptions,
): RevocationNotifier & {
  /** Resolves once the first subscription is in place. */
  ready: Promise<void>;
  /**
   * The process serves from here on. If it is not subscribed yet (it started with Redis down),
   * revocations published meanwhile are missed, so its first subscription counts as a return
   * (onResubscribed) as well.
   */
  markServing(): void;
} {
  const listeners = new Set<(keyId: string) => void>();
  const deliver = (keyId: string) => {
    for (const listener of listeners) listener(keyId);
  };
  const { subscriber, channel } = options;
  subscriber.on("message", (from: string, message: string) => {
    if (from === channel && KEY_ID.test(message)) deliver(message);
  });
  let subscribedBefore = false;
  let markReady: () => void = () => {};
  const ready = new Promise<void>((done) => (markReady = done));
  const subscribe = () => {
    subscriber.subscribe(channel).then(
      () => {
        // Our SUBSCRIBE is answered after ioredis's own re-subscription: from here nothing is missed.
        if (subscribedBefore) options.onResubscribed?.();
        subscribedBefore = true;
        markReady();
      },
      // The connection dropped again before the answer; the next 'ready' subscribes anew.
      () => undefined,
    );
  };
  subscriber.on("ready", subscribe);
  if (subscriber.status === "ready") subscribe();
  return {
    ready,
    markServing() {
      subscribedBefore = true;
    },
    async publish(keyId) {
      deliver(keyId);
      try {
        await options.publisher.publish(channel, keyId);
      } catch (error) {
        options.onPublishError?.(error instanceof Error ? error : new Error(String(error)));
      }
    },
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  };
}
