import { HttpError } from "../http/http-error.js";

/** Failed authentications one client address may make per minute. */
export const DEFAULT_AUTH_FAILURES_PER_MINUTE = 30;

/** The window the failures are counted in. */
export const AUTH_FAILURE_WINDOW_MS = 60_000;

/** A fixed-window counter: adds one to `key`'s count and tells the count and the window's rest. */
export type FailureCounter = (key: string, windowMs: number) => Promise<{ current: number; ttl: number }>;

export interface AuthFailureThrottleOptions {
  /** Failures per address per window before the address is refused; 0 turns the throttle off. */
  maxFailures: number;
  /** Counts per address: in this process, or in Redis for every process (app.ts chooses). */
  count: FailureCounter;
  /** Addresses kept blocked in this process at most (the oldest is forgotten first). @default 10000 */
  capacity?: number;
  /** @default Date.now */
  now?: () => number;
}

/**
 * Slows down the guessing of credentials (issue 12: 1,500 wrong admin tokens at 1,150/s): every
 * request answered 401, for the admin token, an API key or the metrics token, counts against its client address;
 * once an address reaches `maxFailures` in a minute, the rest of that minute its requests that
 * need a credential checked are answered 429 with Retry-After, without the credential being
 * checked, so further guesses learn nothing.
 *
 * With Redis the counts are shared: an address's failures on every process add up, and each
 * process refuses the address from its next failure on (so N processes let at most N - 1 more
 * through per minute). Requests that succeed never count; an API key this process has already
 * verified (in its key cache) is let through even from a refused address, since it proves nothing
 * new to a guesser (api-key-auth.ts).
 */
export class AuthFailureThrottle {
  readonly #options: Required<AuthFailureThrottleOptions>;
  /** Refused addresses and when their refusal ends (ms since the epoch), oldest first. */
  readonly #blockedUntil = new Map<string, number>();

  constructor(options: AuthFailureThrottleOptions) {
    this.#options = { capacity: 10_000, now: Date.now, ...options };
  }

  /** Throws the 429 when `address` is refused now; returns otherwise. */
  check(address: string): void {
    const until = this.#blockedUntil.get(address);
    if (until === undefined) return;
    const left = until - this.#options.now();
    if (left <= 0) {
      this.#blockedUntil.delete(address);
      return;
    }
    const seconds = Math.max(1, Math.ceil(left / 1000));
    throw new HttpError("rate_limited", `too many failed authentications from this address, retry in ${seconds} s`, undefined, {
      "retry-after": String(seconds),
    });
  }

  /** Counts a failed authentication of `address`; from the limit on, the address is refused. */
  async failed(address: string): Promise<void> {
    const { maxFailures, count, capacity, now } = this.#options;
    if (maxFailures === 0) return;
    const { current, ttl } = await count(`auth-failures:${address}`, AUTH_FAILURE_WINDOW_MS);
    if (current < maxFailures) return;
    this.#blockedUntil.delete(address);
    if (this.#blockedUntil.size >= capacity) {
      const oldest = this.#blockedUntil.keys().next();
      if (oldest.done !== true) this.#blockedUntil.delete(oldest.value);
    }
    this.#blockedUntil.set(address, now() + Math.max(ttl, 1000));
  }
}

/** Fixed windows in this process: the counter without Redis (and the tests'). */
export function localFailureCounter(now: () => number = Date.now, capacity = 10_000): FailureCounter {
  const windows = new Map<string, { count: number; endsAt: number }>();
  return async (key, windowMs) => {
    const at = now();
    let window = windows.get(key);
    if (window === undefined || window.endsAt <= at) {
      windows.delete(key);
      if (windows.size >= capacity) {
        const oldest = windows.keys().next();
        if (oldest.done !== true) windows.delete(oldest.value);
      }
      window = { count: 0, endsAt: at + windowMs };
      windows.set(key, window);
    }
    window.count += 1;
    return { current: window.count, ttl: window.endsAt - at };
  };
}
