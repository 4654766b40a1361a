import { TelemetryHttpError, type TelemetryError } from "../errors.js";
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
      const delay = result.retryAfterMs ?? backoffDelay(attempt, this.platform.random);
      // A 429 (or any Retry-After) is about the API key, not this request: hold every request
      // of the client through the shared gate. Other failures wait only for this request.
      const holdAll = result.retryAfterMs !== undefined || isRateLimited(result.error);
      if (holdAll) this.gate.pauseFor(delay);
      if (attempt >= this.maxRetries) return result;
      this.onRetry();
      if (!holdAll) await this.platform.sleep(delay, signal);
      if (signal.aborted) return { kind: "aborted" };
    }
  }
}

function isRateLimited(error: TelemetryError): boolean {
  return error instanceof TelemetryHttpError && error.status === 429;
}
