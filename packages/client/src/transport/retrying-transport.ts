import { TelemetryHttpError, type TelemetryError } from "../errors.js";
import type { Platform } from "../platform.js";
import { backoffDelay } from "./backoff.js";
import type { RateLimitGate } from "./rate-limit-gate.js";
import { LAST_ATTEMPT_MS, type RetryPolicy } from "./retry-policy.js";
import type { EncodedBody, Transport, TransportRequest, TransportResult } from "./transport.js";

/** Told of every attempt's fate, so an outage can be reported once and its end noticed. */
export interface AttemptObserver {
  /** An attempt failed in a way worth retrying (network error, timeout, 429, 5xx). */
  failed(error: TelemetryError): void;
  /** An attempt got an answer that ends the request (2xx or a final status). */
  answered(): void;
  /** A retry is about to be made. */
  retrying(): void;
}

/**
 * Retry as a wrapper around a transport (OpenTelemetry's RetryingTransport): retryable results
 * are tried again, as the policy allows, after an exponential backoff with jitter, or after the
 * server's Retry-After, which pauses every request of the client through the shared gate.
 * When the policy gives up, the last retryable result is returned for the caller to requeue.
 */
export class RetryingTransport implements Transport {
  constructor(
    private readonly inner: Transport,
    private readonly defaultPolicy: RetryPolicy,
    private readonly gate: RateLimitGate,
    private readonly platform: Pick<Platform, "sleep" | "random" | "now">,
    private readonly observer: AttemptObserver,
  ) {}

  /** Encodes ahead through the inner transport; undefined when it has no wire format (dryRun). */
  encodeAhead(payload: unknown): Promise<EncodedBody> | undefined {
    return this.inner.encode?.(payload);
  }

  /** Sends with retries; `policyOf` is read at each decision, so a stop can lengthen a send in progress. */
  async send(request: TransportRequest, signal: AbortSignal, policyOf: () => RetryPolicy = () => this.defaultPolicy): Promise<TransportResult> {
    let last: TransportResult = { kind: "aborted" };
    for (let attempt = 0; ; attempt++) {
      // A pause longer than the policy waits for, or one that outlasts the deadline, leaves
      // nothing to try now: the events stay queued for the next send.
      if (!this.pauseIsWaitable(policyOf())) return last;
      await this.waitForGate(signal, policyOf);
      if (signal.aborted) return { kind: "aborted" };
      if (this.platform.now() >= policyOf().deadline) return last;
      const result = await this.inner.send(request, signal);
      if (result.kind === "aborted") return result;
      if (result.kind !== "retryable") {
        this.observer.answered();
        return result;
      }
      this.observer.failed(result.error);
      last = result;
      const policy = policyOf();
      let delay = result.retryAfterMs ?? backoffDelay(attempt, this.platform.random, policy.backoffCapMs);
      // A 429 (or any Retry-After) is about the API key, not this request: hold every request
      // of the client through the shared gate. Other failures wait only for this request.
      const holdAll = result.retryAfterMs !== undefined || isRateLimited(result.error);
      if (holdAll) this.gate.pauseFor(delay);
      if (attempt >= policy.maxRetries) return result;
      if (!holdAll) {
        // A backoff that would end past the deadline is cut short for one last attempt.
        const left = policy.deadline - this.platform.now() - LAST_ATTEMPT_MS;
        if (left <= 0) return result;
        delay = Math.min(delay, left);
      }
      this.observer.retrying();
      if (!holdAll) await this.platform.sleep(delay, wakeOrSignal(policy, signal));
      if (signal.aborted) return { kind: "aborted" };
    }
  }

  /** Whether the pause in force (if any) is one this policy waits for. */
  private pauseIsWaitable(policy: RetryPolicy): boolean {
    const pause = this.gate.remaining();
    return pause === 0 || (pause <= policy.maxPauseMs && this.platform.now() + pause < policy.deadline);
  }

  /** Waits out a Retry-After pause; a policy's wake ends the wait to re-read the policy, not the request. */
  private async waitForGate(signal: AbortSignal, policyOf: () => RetryPolicy): Promise<void> {
    while (this.gate.remaining() > 0 && !signal.aborted) {
      await this.gate.wait(wakeOrSignal(policyOf(), signal));
    }
  }
}

function wakeOrSignal(policy: RetryPolicy, signal: AbortSignal): AbortSignal {
  const wake = policy.wake;
  return wake === undefined || wake.aborted ? signal : wake;
}

function isRateLimited(error: TelemetryError): boolean {
  return error instanceof TelemetryHttpError && error.status === 429;
}
