import { BACKOFF_CAP_MS } from "./backoff.js";

/**
 * How long one request keeps trying. A background send or `flush()` gives up after
 * `maxRetries` and requeues its batch for the next cycle; `stop()` (and the send at process end)
 * has a deadline instead and keeps trying until it, because after it the events are gone.
 */
export interface RetryPolicy {
  /** Retries after the first attempt. */
  readonly maxRetries: number;
  /** Time on the client's clock after which no attempt starts (Infinity: none). */
  readonly deadline: number;
  /** Longest backoff between two attempts. */
  readonly backoffCapMs: number;
  /**
   * Longest Retry-After pause waited for; a longer one ends the request (its events stay
   * queued, and the pause holds every request of the client until it is over).
   */
  readonly maxPauseMs: number;
  /**
   * Ends a wait early without ending the request: aborted when stop() begins, so a background
   * drain in a long backoff wakes, reads the stop policy and tries at once. Unset: waits end
   * only with the request's own signal.
   */
  readonly wake?: AbortSignal;
}

/**
 * The longest backoff while stopping: a stop deadline is seconds, so doubling up to a minute
 * would spend it in one wait; 5 s still spreads a crowd of stopping clients.
 */
export const STOP_BACKOFF_CAP_MS = 5_000;

/** A background cycle's policy: `maxRetries`, the guide's 1 s doubling up to 60 s, no deadline. */
export function cyclePolicy(maxRetries: number, wake?: AbortSignal): RetryPolicy {
  // A minute: an awaited flush() holds the process while it waits, and an hour's Retry-After
  // must not hang a script that flushes.
  return { maxRetries, deadline: Number.POSITIVE_INFINITY, backoffCapMs: BACKOFF_CAP_MS, maxPauseMs: BACKOFF_CAP_MS, wake };
}

/** stop()'s policy: retries without a count until `deadline`. */
export function deadlinePolicy(deadline: number): RetryPolicy {
  return { maxRetries: Number.POSITIVE_INFINITY, deadline, backoffCapMs: STOP_BACKOFF_CAP_MS, maxPauseMs: Number.POSITIVE_INFINITY };
}

/**
 * The time a last attempt before a deadline is given: a backoff that would end later is cut
 * short to leave this much, rather than given up seconds early.
 */
export const LAST_ATTEMPT_MS = 250;
