import type { PredictionStore } from "../storage/prediction-store.js";
import type { RefreshReport } from "./privacy/private-predictor.js";

/** The log lines a refresher writes (pino's shape, so the app's logger fits). */
export interface RefresherLog {
  info(fields: object, message: string): void;
  error(fields: object, message: string): void;
}

/** A timer the refresher can cancel; tests pass a fake clock's. */
export interface RefresherTimers {
  set(run: () => void, ms: number): unknown;
  clear(handle: unknown): void;
}

export interface SnapshotRefresherOptions {
  /** Where the lease lives: one process per interval refreshes every group. */
  store: Pick<PredictionStore, "takeRefreshLease" | "releaseRefreshLease">;
  /** The snapshot interval; a lease lasts this long. */
  intervalMs: number;
  /** Recomputes every stale group's snapshot; stops early once `signal` is aborted. */
  refresh(signal: AbortSignal): Promise<RefreshReport>;
  log: RefresherLog;
  /** @default () => new Date() */
  now?: () => Date;
  /** @default setTimeout / clearTimeout, unref'd so the timer never keeps the process alive */
  timers?: RefresherTimers;
}

export interface SnapshotRefresher {
  /** Takes the lease and refreshes every group; null when another process holds the lease. */
  runOnce(): Promise<RefreshReport | null>;
  /** Stops the timer and the refresh under way (it ends after the group it is on). Idempotent. */
  stop(): Promise<void>;
}

/** The longest wait between two checks: an hour (a timer cannot wait longer than 2^31 - 1 ms anyway). */
const MAX_CHECK_EVERY_MS = 3_600_000;

/** How often a process asks for the lease: a quarter interval (at least 1 s, at most an hour), so a stopped holder is replaced soon. */
export function leaseCheckEveryMs(intervalMs: number): number {
  return Math.min(MAX_CHECK_EVERY_MS, Math.max(1_000, Math.floor(intervalMs / 4)));
}

const NODE_TIMERS: RefresherTimers = {
  set: (run, ms) => setTimeout(run, ms).unref(),
  clear: (handle) => clearTimeout(handle as NodeJS.Timeout),
};

/**
 * Keeps every group's crowd snapshot fresh in the background, so a query rarely pays for a
 * refresh (docs/predictions.md, "Snapshots"). Every process asks for the lease each quarter
 * interval; the one that gets it (the store's conditional upsert) recomputes the stale groups,
 * the others do nothing until the lease runs out. A failed run, or one cut short by stop(), gives
 * the lease back (if it is still its own), so the next check retries; a failure is logged and
 * nothing is thrown out of the timer.
 *
 * The lease and the snapshots' times come from each process's clock: the server hosts' clocks
 * must agree (NTP); a host running fast takes the lease early.
 */
export function startSnapshotRefresher(options: SnapshotRefresherOptions): SnapshotRefresher {
  const now = options.now ?? (() => new Date());
  const timers = options.timers ?? NODE_TIMERS;
  const every = leaseCheckEveryMs(options.intervalMs);
  const abort = new AbortController();
  let running: Promise<RefreshReport | null> | null = null;
  let timer: unknown = null;

  async function run(): Promise<RefreshReport | null> {
    if (abort.signal.aborted) return null;
    const at = now();
    const until = new Date(at.getTime() + options.intervalMs);
    if (!(await options.store.takeRefreshLease(at, until))) return null;
    const started = Date.now();
    let report: RefreshReport;
    try {
      report = await options.refresh(abort.signal);
    } catch (error) {
      // Failed: the lease goes back, so the next check (this process's or another's) retries.
      await options.store.releaseRefreshLease(until, now()).catch(() => undefined);
      throw error;
    }
    const aborted = abort.signal.aborted;
    // Cut short by a shutdown: the lease goes back too, for another process to finish the work.
    if (aborted) await options.store.releaseRefreshLease(until, now()).catch(() => undefined);
    options.log.info({ ...report, aborted, ms: Date.now() - started }, "prediction snapshots refreshed");
    return report;
  }

  function runOnce(): Promise<RefreshReport | null> {
    running ??= run().finally(() => {
      running = null;
    });
    return running;
  }

  function schedule(): void {
    if (abort.signal.aborted) return;
    timer = timers.set(() => {
      runOnce()
        .catch((error: unknown) => options.log.error({ err: error instanceof Error ? error : new Error(String(error)) }, "prediction snapshot refresh failed"))
        .finally(schedule);
    }, every);
  }

  schedule();
  return {
    runOnce,
    async stop() {
      abort.abort();
      if (timer !== null) timers.clear(timer);
      await running?.catch(() => undefined);
    },
  };
}
