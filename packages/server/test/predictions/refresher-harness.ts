import { afterEach } from "vitest";
import { createPredictor } from "../../src/predictions/predictor.js";
import type { RefreshReport } from "../../src/predictions/privacy/private-predictor.js";
import { startSnapshotRefresher, type RefresherLog, type RefresherTimers, type SnapshotRefresher, type SnapshotRefresherOptions } from "../../src/predictions/snapshot-refresher.js";
import type { Storage } from "../../src/storage/storage.js";
import { freshDatabase, type EngineDatabase, type EngineName } from "../helpers/engines.js";
import { seededSnapshotNoise } from "../helpers/seeded-noise.js";

/** What the snapshot refresher's tests share: a manual clock and timers, a recording log, refreshes the test ends, two handles on one database. */

export const INTERVAL = 3_600_000;
export const START = new Date("2026-12-04T12:00:00.000Z");

/** Timers that run only when the test fires them (a fake clock's, without its other parts). */
export class ManualTimers implements RefresherTimers {
  readonly pending = new Map<number, { run: () => void; ms: number }>();
  #next = 0;
  set(run: () => void, ms: number): unknown {
    this.#next += 1;
    this.pending.set(this.#next, { run, ms });
    return this.#next;
  }
  clear(handle: unknown): void {
    this.pending.delete(handle as number);
  }
  /** Runs every timer set so far (each refresher sets one at a time). */
  fire(): void {
    const due = [...this.pending.values()];
    this.pending.clear();
    for (const { run } of due) run();
  }
}

export class RecordingLog implements RefresherLog {
  readonly lines: { level: "info" | "warn" | "error"; fields: object; message: string }[] = [];
  info(fields: object, message: string): void {
    this.lines.push({ level: "info", fields, message });
  }
  warn(fields: object, message: string): void {
    this.lines.push({ level: "warn", fields, message });
  }
  error(fields: object, message: string): void {
    this.lines.push({ level: "error", fields, message });
  }
}

export const EMPTY_REPORT: RefreshReport = { groups: 0, computed: 0, answering: 0 };
export const LOST_LEASE = "prediction snapshot refresh lost its lease to another process: stopping it";

/** `store`'s lease calls, each recorded by its outcome once the store has answered. */
export function recordingLease(store: SnapshotRefresherOptions["store"], calls: string[]): SnapshotRefresherOptions["store"] {
  return {
    async takeRefreshLease(forMs, now) {
      const lease = await store.takeRefreshLease(forMs, now);
      calls.push(lease === null ? "take: held" : "take");
      return lease;
    },
    async renewRefreshLease(lease, forMs, now) {
      const renewed = await store.renewRefreshLease(lease, forMs, now);
      calls.push(renewed === null ? "renew: lost" : "renew");
      return renewed;
    },
    async releaseRefreshLease(lease) {
      await store.releaseRefreshLease(lease);
      calls.push("release");
    },
  };
}

/**
 * A refresh that goes on until the test ends it (`finish`, or `fail`), or until its signal is
 * aborted (as refreshAll ends after the group it is on).
 */
export function heldRefresh(): { refresh: (signal: AbortSignal) => Promise<RefreshReport>; calls: () => number; signal: () => AbortSignal | null; finish: () => void; fail: (error: Error) => void } {
  let calls = 0;
  let signal: AbortSignal | null = null;
  let settle: ((error?: Error) => void) | null = null;
  return {
    refresh(given) {
      calls += 1;
      signal = given;
      return new Promise<RefreshReport>((resolve, reject) => {
        settle = (error) => (error === undefined ? resolve({ groups: 1, computed: 1, answering: 0 }) : reject(error));
        given.addEventListener("abort", () => settle?.(), { once: true });
      });
    },
    calls: () => calls,
    signal: () => signal,
    finish: () => settle?.(),
    fail: (error) => settle?.(error),
  };
}

/**
 * Call inside an engine's describe: two handles on a fresh database and refreshers on them, all
 * stopped and closed after each test (with whatever else a test pushes on `cleanup`).
 */
export function refresherHarness(engine: EngineName) {
  const cleanup: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const step of cleanup.splice(0).reverse()) await step();
  });

  async function twoHandles(): Promise<[Storage, Storage]> {
    const database: EngineDatabase = await freshDatabase(engine, "refresher");
    cleanup.push(() => database.drop());
    const first = await database.open();
    const second = await database.open();
    cleanup.push(() => first.close(), () => second.close());
    return [first, second];
  }

  /**
   * A refresher on `storage`, with its lease on `clock` (null: none given, the store's own, as in
   * production); `calls` records each lease call's outcome once the store has answered.
   */
  function refresherOn(
    storage: Storage,
    clock: { now: Date } | null,
    timers: RefresherTimers,
    log: RecordingLog,
    extra: { refresh?: (signal: AbortSignal) => Promise<RefreshReport>; calls?: string[]; intervalMs?: number } = {},
  ): SnapshotRefresher {
    const now = (): Date => clock?.now ?? new Date();
    const intervalMs = extra.intervalMs ?? INTERVAL;
    const predictor = createPredictor(storage, { minEvents: 10, minContributors: 5, snapshotIntervalMs: intervalMs }, { now, noise: seededSnapshotNoise("refresher") });
    const refresher = startSnapshotRefresher({
      store: extra.calls === undefined ? storage : recordingLease(storage, extra.calls),
      intervalMs,
      refresh: extra.refresh ?? ((signal) => (predictor.refreshAll as NonNullable<typeof predictor.refreshAll>)(signal)),
      log,
      ...(clock === null ? {} : { now }),
      timers,
    });
    cleanup.push(() => refresher.stop());
    return refresher;
  }
  return { cleanup, twoHandles, refresherOn };
}
