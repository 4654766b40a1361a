import type { PredictionStore } from "../storage/prediction-store.js";
import type { RefreshReport } from "./privacy/private-predictor.js";

/** The log lines a refresher writes (pino's shape, so the app's logger fits). */
export interface RefresherLog {
  info(fields: object, message: string): void;
  warn(fields: object, message: string): void;
  error(fields: object, message: string): void;
}

/** A timer the refresher can cancel; tests pass a fake clock's. */
export interface RefresherTimers {
  set(run: () => void, ms: number): unknown;
  clear(handle: unknown): void;
}

export interface SnapshotRefresherOptions {
  /** Where the lease lives: one process at a time refreshes every group. */
  store: Pick<PredictionStore, "takeRefreshLease" | "renewRefreshLease" | "releaseRefreshLease">;
  /** The snapshot interval; a lease lasts this long (at least two checks) past its taking or its last renewal. */
  intervalMs: number;
  /** Recomputes every stale group's snapshot; stops early once `signal` is aborted. */
  refresh(signal: AbortSignal): Promise<RefreshReport>;
  log: RefresherLog;
  /**
   * For tests only: a fake clock for the lease, handed to the store. Production leaves it out,
   * so the store's own clock times the lease (PostgreSQL's, or the host's for SQLite).
   * @default the store's clock
   */
  now?: () => Date;
  /** @default setTimeout / clearTimeout, unref'd so the timer never keeps the process alive */
  timers?: RefresherTimers;
}

export interface SnapshotRefresher {
  /** Takes the lease and refreshes every group; null when another process holds the lease. A run under way is shared, not doubled. */
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

/** The run under way in this process, and its lease. */
interface HeldRun {
  /** The lease as last stored (take's or the last renewal's answer): what renew and release name. */
  lease: Date;
  /** Aborted by stop() or by a lost lease: the refresh ends after the group it is on. */
  readonly abort: AbortController;
  /** Another process took the lease (this one's ran out unrenewed, e.g. the process was paused). */
  lost: boolean;
  /** The renewal in flight: the run waits for it before it gives the lease back, so it names the lease as stored. */
  renewing: Promise<void> | null;
}

/**
 * Keeps every group's crowd snapshot fresh in the background, so a query rarely pays for a
 * refresh (docs/predictions.md, "Snapshots"). Every process checks each quarter interval. With no
 * run under way it asks for the lease; the one that gets it (the store's conditional upsert)
 * recomputes the stale groups, the others do nothing until the lease runs out. While its run goes
 * on, the holder's checks renew the lease, so a run longer than the interval is never joined by a
 * second process; if a renewal finds another process has taken the lease (this one ran out, e.g.
 * the process was paused), the run stops early and says so in the log. A finished run keeps the
 * lease to its end (one interval, at least two checks, past its taking or last renewal); a failed
 * run, or one cut short by stop(), gives it back, so the next check retries. A failure is logged
 * and nothing is thrown out of the timer.
 *
 * The lease is timed by the store's clock, not the hosts': PostgreSQL's for a PostgreSQL
 * deployment, the host's for SQLite (whose processes share one host); so are the snapshots'
 * times (computed when, stale when: private-predictor.ts), so both agree on when an interval is over.
 */
export function startSnapshotRefresher(options: SnapshotRefresherOptions): SnapshotRefresher {
  const { store, log } = options;
  const leaseNow = (): Date | undefined => options.now?.();
  const timers = options.timers ?? NODE_TIMERS;
  const every = leaseCheckEveryMs(options.intervalMs);
  // A lease, taken or renewed, outlasts the next check even when checks come once an interval (a
  // 1 s interval): a timer a little late must not let another process take it and abort the run.
  const leaseForMs = Math.max(options.intervalMs, 2 * every);
  let stopped = false;
  let running: Promise<RefreshReport | null> | null = null;
  let held: HeldRun | null = null;
  let timer: unknown = null;

  async function run(): Promise<RefreshReport | null> {
    if (stopped) return null;
    const lease = await store.takeRefreshLease(leaseForMs, leaseNow());
    if (lease === null) return null;
    const current: HeldRun = { lease, abort: new AbortController(), lost: false, renewing: null };
    if (stopped) {
      // stop() came while the lease was being taken: back at once, for another process.
      await giveBack(current);
      return null;
    }
    held = current;
    const started = Date.now();
    let report: RefreshReport;
    try {
      report = await options.refresh(current.abort.signal);
    } catch (error) {
      // Failed: the lease goes back, so the next check (this process's or another's) retries.
      await end(current, true);
      throw error;
    }
    // Cut short by a shutdown: the lease goes back too, for another process to finish the work.
    await end(current, stopped);
    log.info({ ...report, aborted: current.abort.signal.aborted, ms: Date.now() - started }, "prediction snapshots refreshed");
    return report;
  }

  /** The run is over: wait for its renewal in flight, then give the lease back if asked (and still its own). */
  async function end(current: HeldRun, release: boolean): Promise<void> {
    held = null;
    await current.renewing;
    if (release) await giveBack(current);
  }

  async function giveBack(current: HeldRun): Promise<void> {
    if (!current.lost) await store.releaseRefreshLease(current.lease).catch(() => undefined);
  }

  /** A check during a run: keeps its lease, or stops the run when another process has taken it. */
  async function renew(current: HeldRun): Promise<void> {
    try {
      const renewed = await store.renewRefreshLease(current.lease, leaseForMs, leaseNow());
      if (renewed !== null) {
        current.lease = renewed;
        return;
      }
      current.lost = true;
      current.abort.abort();
      log.warn({ heldUntil: current.lease.toISOString() }, "prediction snapshot refresh lost its lease to another process: stopping it");
    } catch (error) {
      // Storage down: the run goes on (its own reads fail if it stays down); the next check retries.
      log.error({ err: asError(error) }, "prediction snapshot refresh lease could not be renewed");
    }
  }

  function runOnce(): Promise<RefreshReport | null> {
    running ??= run().finally(() => {
      running = null;
    });
    return running;
  }

  function check(): void {
    const current = held;
    if (current !== null) {
      current.renewing ??= renew(current).finally(() => {
        current.renewing = null;
      });
      return;
    }
    // A run whose lease is still being asked for is left to finish; none under way, one is asked for.
    if (running === null) runOnce().catch((error: unknown) => log.error({ err: asError(error) }, "prediction snapshot refresh failed"));
  }

  function schedule(): void {
    if (stopped) return;
    // The next check is set before this one's work, so checks (and renewals) go on during a long run.
    timer = timers.set(() => {
      timer = null;
      schedule();
      check();
    }, every);
  }

  schedule();
  return {
    runOnce,
    async stop() {
      stopped = true;
      if (timer !== null) timers.clear(timer);
      timer = null;
      held?.abort.abort();
      await running?.catch(() => undefined);
    },
  };
}

function asError(error: unknown): Error {
  return error instanceof Error ? error : new Error(String(error));
}
