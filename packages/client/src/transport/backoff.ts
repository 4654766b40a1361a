/** First retry delay. */
export const BACKOFF_BASE_MS = 1_000;
/** Longest retry delay. */
export const BACKOFF_CAP_MS = 60_000;

/**
 * Delay before retry number `attempt` (0 for the first retry): 1 s doubling up to `capMs` (60 s), with
 * "equal jitter" (half fixed, half random) so that many clients do not retry in step while
 * each still waits at least half the nominal delay.
 */
export function backoffDelay(attempt: number, random: () => number, capMs: number = BACKOFF_CAP_MS): number {
  const nominal = Math.min(capMs, BACKOFF_BASE_MS * 2 ** Math.min(attempt, 30));
  const half = nominal / 2;
  return Math.round(half + random() * half);
}
