import type { Platform } from "../platform.js";
import { backoffDelay } from "./backoff.js";
import type { RateLimitGate } from "./rate-limit-gate.js";
import type { Transport, TransportRequest, TransportResult } from "./transport.js";

/**
 * Retry as a wrapper around a transport (OpenTelemetry's RetryingTransport): retryable results
 * are tried again up to `maxRetries` times after an exponential backoff with jitter, or after
 * the server's Retry-After, which pauses every request of the client through the shared gate.
 * When retries run out, the last retryable result is returned for the caller to requeue.
 */
export class RetryingTransport implements Transport {
  constructor(
    private readonly inner: Transport,
    private readonly maxRetries: number,
    private readonly gate: RateLimitGate,
    private readonly platform: Pick<Platform, "sleep" | "random">,
    private readonly onRetry: () => void,
  ) {}

  async send(request: TransportRequest, signal: AbortSignal): Promise<TransportResult> {
    for (let attempt = 0; ; attempt++) {
      await this.gate.wait(signal);
      if (signal.aborted) return { kind: "aborted" };
      const result = await this.inner.send(request, signal);
      if (result.kind !== "retryable") return result;
      if (result.retryAfterMs !== undefined) this.gate.pauseFor(result.retryAfterMs);
      if (attempt >= this.maxRetries) return result;
      this.onRetry();
      // With a Retry-After the gate already holds every request for as long as the server asked.
      if (result.retryAfterMs === undefined) {
        await this.platform.sleep(backoffDelay(attempt, this.platform.random), signal);
      }
      if (signal.aborted) return { kind: "aborted" };
    }
  }
}
