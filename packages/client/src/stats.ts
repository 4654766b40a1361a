/** Counters of what became of the tracked events, since the client was made. */
export interface TelemetryStats {
  /** Events waiting in the queue now. */
  queued: number;
  /** Estimated bytes of the queued events (see `maxQueueBytes`). */
  queuedBytes: number;
  /** Events the server confirmed, as accepted or duplicate (both mean stored). */
  sent: number;
  /** Of `sent`, those the server already had. */
  duplicates: number;
  /** Events the server rejected (dropped and reported). */
  rejected: number;
  /** Events dropped by `track()` because they failed validation (reported). */
  invalid: number;
  /** Oldest events evicted because the queue was full. */
  evicted: number;
  /** Request retries made (after network errors, timeouts, 429 and 5xx other than 501). */
  retried: number;
  /** Events put back at the front of the queue after their batch exhausted its retries. */
  requeued: number;
  /** Every event lost for any reason: rejected + invalid + evicted + final HTTP failures + tracked while unable to send. */
  dropped: number;
  /** Events an earlier process left in the spool, taken over by this client at its start. */
  recovered: number;
  /** Spool records skipped as torn or corrupt when taking over an earlier process's file. */
  spoolSkipped: number;
}

export function emptyStats(): TelemetryStats {
  return {
    queued: 0,
    queuedBytes: 0,
    sent: 0,
    duplicates: 0,
    rejected: 0,
    invalid: 0,
    evicted: 0,
    retried: 0,
    requeued: 0,
    dropped: 0,
    recovered: 0,
    spoolSkipped: 0,
  };
}
