import type { TelemetryError } from "./errors.js";

/** What `flush()` resolves with. */
export interface FlushResult {
  /** Events delivered (accepted or duplicate) by this flush. */
  sent: number;
  /** Events still queued when it ended (retries ran out, or more were tracked meanwhile). */
  pending: number;
}

/** What `stop()` resolves with: totals since the client was made, and what is still queued. */
export interface StopResult {
  /** Events delivered (accepted or duplicate), in total. */
  sent: number;
  /** Events lost, in total (see `TelemetryStats.dropped`). */
  dropped: number;
  /** Events still unsent when stop()'s deadline ran out: kept in the spool when one is on, otherwise lost when the process exits. */
  pending: number;
  /** Why `pending` is not 0 (the deadline, the last failure, where the events are), or null when it is 0. */
  reason: string | null;
}

/** The reason stop() gives (and reports) for events left unsent, or null when none are. */
export function pendingReason(pending: number, stopTimeoutMs: number, lastFailure: TelemetryError | null, spooled: boolean): string | null {
  if (pending === 0) return null;
  const cause = lastFailure === null ? "" : ` (last failure: ${lastFailure.message})`;
  const fate = spooled ? "they stay in the spool for the next client started on its folder" : "they are lost when the process exits";
  return `stop() ran out of its ${stopTimeoutMs} ms with ${pending} event${pending === 1 ? "" : "s"} unsent${cause}; ${fate}`;
}
