import type { Platform } from "../platform.js";

/**
 * The pause a 429's Retry-After asks for, shared by every request of one client (events and
 * predictions alike): a rate limit is per API key, so sending another batch meanwhile would
 * only earn another 429.
 */
export class RateLimitGate {
  private pausedUntil = 0;

  constructor(private readonly platform: Pick<Platform, "now" | "sleep">) {}

  /** Holds all sending for `ms` from now (a later, longer pause wins). */
  pauseFor(ms: number): void {
    this.pausedUntil = Math.max(this.pausedUntil, this.platform.now() + ms);
  }

  /** Milliseconds of pause left. */
  remaining(): number {
    return Math.max(0, this.pausedUntil - this.platform.now());
  }

  /** Resolves when the pause is over or the signal aborts. */
  async wait(signal: AbortSignal): Promise<void> {
    let left = this.remaining();
    while (left > 0 && !signal.aborted) {
      await this.platform.sleep(left, signal);
      left = this.remaining();
    }
  }
}
