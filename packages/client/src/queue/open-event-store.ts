import type { TaskCompletionEvent } from "@mosaicstack/telemetry-protocol";
import { TelemetryError } from "../errors.js";
import type { NormalizedOptions } from "../options.js";
import type { Report } from "../reporter.js";
import { Spool } from "../spool/spool.js";
import { EventStore } from "./event-store.js";

/** How often the spool fsyncs what it wrote: a machine crash loses at most this much. */
export const SPOOL_SYNC_INTERVAL_MS = 1_000;

/** The client's event store, and what it took over from the spool of earlier processes. */
export interface OpenedStore {
  readonly store: EventStore;
  readonly recovered: readonly TaskCompletionEvent[];
  readonly skipped: number;
}

/**
 * The queue, with the spool when `spoolDir` is set and the client really sends. A folder that
 * cannot be used is reported once and the client runs in memory: telemetry must not fail the app.
 */
export function openEventStore(options: NormalizedOptions, sends: boolean, report: Report): OpenedStore {
  const inMemory = (): OpenedStore => ({
    store: new EventStore(options.maxQueueSize, options.maxQueueBytes, null, options.spoolMaxBytes),
    recovered: [],
    skipped: 0,
  });
  // dryRun answers every event "accepted" without sending: it must not take over (and so
  // delete) what an earlier process left for a real server.
  if (options.spoolDir === null || !sends) return inMemory();
  try {
    const { spool, recovered } = Spool.open({
      dir: options.spoolDir,
      syncIntervalMs: SPOOL_SYNC_INTERVAL_MS,
      onFailure: (cause: Error) => report(new TelemetryError("spool_error", `Spool write failed; events are kept in memory only: ${cause.message}`, { cause })),
    });
    const store = new EventStore(options.maxQueueSize, options.maxQueueBytes, spool, options.spoolMaxBytes);
    const taken = store.takeOver(recovered);
    return { store, recovered: taken.events, skipped: taken.skipped };
  } catch (cause) {
    report(new TelemetryError("spool_error", `Spool folder unusable; events are kept in memory only: ${(cause as Error).message}`, { cause }));
    return inMemory();
  }
}
