import type { TelemetryError } from "./errors.js";
import type { Report } from "./reporter.js";
import type { TelemetryStats } from "./stats.js";
import type { AttemptObserver } from "./transport/retrying-transport.js";

/**
 * Reports an outage once: the first failed attempt (unreachable host, DNS, TLS, timeout, 429,
 * 5xx) goes to onError at once, the failures after it stay quiet until an attempt is answered
 * again, and that recovery is not an error. Remembers the last failure for stop()'s result.
 */
export class OutageMonitor implements AttemptObserver {
  private down = false;
  /** The failure of the outage in progress, or null when the last attempt was answered. */
  lastFailure: TelemetryError | null = null;

  constructor(
    private readonly report: Report,
    private readonly stats: TelemetryStats,
  ) {}

  failed(error: TelemetryError): void {
    this.lastFailure = error;
    if (this.down) return;
    this.down = true;
    this.report(error);
  }

  answered(): void {
    this.down = false;
    this.lastFailure = null;
  }

  retrying(): void {
    this.stats.retried++;
  }
}
