import { afterEach, describe, expect, it, vi } from "vitest";
import { createPredictor } from "../../src/predictions/predictor.js";
import type { RefreshReport } from "../../src/predictions/privacy/private-predictor.js";
import { seededSnapshotNoise } from "../../src/predictions/privacy/private-predictor.js";
import { leaseCheckEveryMs, startSnapshotRefresher, type RefresherLog, type RefresherTimers, type SnapshotRefresher, type SnapshotRefresherOptions } from "../../src/predictions/snapshot-refresher.js";
import type { Storage } from "../../src/storage/storage.js";
import { ENGINES, engineTitle, freshDatabase, type EngineDatabase } from "../helpers/engines.js";
import { toStore } from "../helpers/events-to-store.js";
import { makeEvent, seedInstance } from "../storage/storage-fixtures.js";

const INTERVAL = 3_600_000;
const START = new Date("2026-12-04T12:00:00.000Z");

/** Timers that run only when the test fires them (a fake clock's, without its other parts). */
class ManualTimers implements RefresherTimers {
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

class RecordingLog implements RefresherLog {
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

const EMPTY_REPORT: RefreshReport = { groups: 0, computed: 0, answering: 0 };
const LOST_LEASE = "prediction snapshot refresh lost its lease to another process: stopping it";

/** `store`'s lease calls, each recorded by its outcome once the store has answered. */
function recordingLease(store: SnapshotRefresherOptions["store"], calls: string[]): SnapshotRefresherOptions["store"] {
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
function heldRefresh(): { refresh: (signal: AbortSignal) => Promise<RefreshReport>; calls: () => number; signal: () => AbortSignal | null; finish: () => void; fail: (error: Error) => void } {
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

describe("leaseCheckEveryMs", () => {
  it("asks four times an interval, never more than once a second nor less than once an hour", () => {
    expect(leaseCheckEveryMs(INTERVAL)).toBe(900_000);
    expect(leaseCheckEveryMs(2_000)).toBe(1_000);
    // The longest interval the configuration takes (a year): a timer cannot wait a quarter of it.
    expect(leaseCheckEveryMs(31_536_000_000)).toBe(3_600_000);
  });
});

for (const engine of ENGINES) {
  describe.skipIf(engine.skip !== null)(engineTitle(engine, `snapshot refresher: ${engine.name}`), () => {
    const cleanup: (() => Promise<void>)[] = [];
    afterEach(async () => {
      for (const step of cleanup.splice(0).reverse()) await step();
    });

    async function twoHandles(): Promise<[Storage, Storage]> {
      const database: EngineDatabase = await freshDatabase(engine.name, "refresher");
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

    it("refreshes every group in one process per interval; another takes over once the lease has run out", async () => {
      const [first, second] = await twoHandles();
      for (let i = 0; i < 5; i++) {
        const { instance } = await seedInstance(first, `instance ${i}`);
        await first.ingestEvents(instance.id, toStore(Array.from({ length: 4 }, () => makeEvent(instance.id))), START);
      }
      const clock = { now: START };
      const log = new RecordingLog();
      const timers = new ManualTimers();
      const a = refresherOn(first, clock, timers, log);
      const b = refresherOn(second, clock, timers, log);
      expect([...timers.pending.values()].map((timer) => timer.ms)).toEqual([leaseCheckEveryMs(INTERVAL), leaseCheckEveryMs(INTERVAL)]);

      const reports = await Promise.all([a.runOnce(), b.runOnce()]);
      expect(reports.filter((report) => report !== null)).toEqual([{ groups: 4, computed: 4, answering: expect.any(Number) as number }]);
      expect((await first.readSnapshots(["[\"anthropic\"]"])).snapshots.size).toBe(1);
      expect(log.lines.filter((line) => line.message === "prediction snapshots refreshed")).toHaveLength(1);

      // Within the interval nobody refreshes again; once the lease has run out one process does,
      // and finds every snapshot stale.
      clock.now = new Date(START.getTime() + INTERVAL - 1);
      expect(await Promise.all([a.runOnce(), b.runOnce()])).toEqual([null, null]);
      clock.now = new Date(START.getTime() + INTERVAL);
      const later = await Promise.all([b.runOnce(), a.runOnce()]);
      expect(later.filter((report) => report !== null)).toEqual([{ groups: 4, computed: 4, answering: expect.any(Number) as number }]);
    });

    it("logs a failed refresh, gives the lease back and runs again at the next check", async () => {
      const [storage] = await twoHandles();
      const clock = { now: START };
      const log = new RecordingLog();
      const timers = new ManualTimers();
      let calls = 0;
      refresherOn(storage, clock, timers, log, {
        refresh: () => {
          calls += 1;
          return Promise.reject(new Error("storage went away"));
        },
      });
      timers.fire();
      await expect.poll(() => log.lines.length).toBe(1);
      expect(log.lines[0]).toMatchObject({ level: "error", message: "prediction snapshot refresh failed" });
      expect((log.lines[0]?.fields as { err: Error }).err.message).toBe("storage went away");
      await expect.poll(() => timers.pending.size).toBe(1);
      // The next check, a quarter interval on, well within the failed run's lease.
      clock.now = new Date(START.getTime() + leaseCheckEveryMs(INTERVAL));
      timers.fire();
      await expect.poll(() => calls).toBe(2);
    });

    it("stop() ends the refresh under way through its signal, waits for it, gives the lease back and sets no timer again", async () => {
      const [storage, other] = await twoHandles();
      const clock = { now: START };
      const timers = new ManualTimers();
      let seen: AbortSignal | null = null;
      let finish: (() => void) | null = null;
      const refresher = refresherOn(storage, clock, timers, new RecordingLog(), {
        refresh: (signal) => {
          seen = signal;
          return new Promise((resolve) => {
            finish = () => resolve({ groups: 0, computed: 0, answering: 0 });
          });
        },
      });
      const run = refresher.runOnce();
      await expect.poll(() => seen).not.toBeNull();
      let stopped = false;
      const stopping = refresher.stop().then(() => (stopped = true));
      expect((seen as AbortSignal | null)?.aborted).toBe(true);
      await Promise.resolve();
      expect(stopped).toBe(false);
      (finish as (() => void) | null)?.();
      await stopping;
      await run;
      expect(timers.pending.size).toBe(0);
      expect(await refresher.runOnce()).toBeNull();
      // Another process takes the lease at once instead of waiting out the interval.
      expect(await other.takeRefreshLease(INTERVAL, new Date(START.getTime() + 1))).not.toBeNull();
    });

    it("stop() while the lease is being taken: the lease, once taken, is given back and refresh is never called", async () => {
      const [first, second] = await twoHandles();
      const clock = { now: START };
      // The take reaches the database, but its answer is held until the test lets it through.
      let answer: (() => void) | null = null;
      const answered = new Promise<void>((resolve) => (answer = resolve));
      let taken: Date | null = null;
      let released = 0;
      const store: SnapshotRefresherOptions["store"] = {
        takeRefreshLease: async (forMs, now) => {
          taken = await first.takeRefreshLease(forMs, now);
          await answered;
          return taken;
        },
        renewRefreshLease: (lease, forMs, now) => first.renewRefreshLease(lease, forMs, now),
        releaseRefreshLease: async (lease) => {
          released += 1;
          await first.releaseRefreshLease(lease);
        },
      };
      let refreshed = 0;
      const refresh = (): Promise<RefreshReport> => ((refreshed += 1), Promise.resolve(EMPTY_REPORT));
      const refresher = startSnapshotRefresher({ store, intervalMs: INTERVAL, refresh, log: new RecordingLog(), now: () => clock.now, timers: new ManualTimers() });
      cleanup.push(() => refresher.stop());
      const run = refresher.runOnce();
      await expect.poll(() => taken).toEqual(new Date(START.getTime() + INTERVAL));
      const stopping = refresher.stop();
      (answer as (() => void) | null)?.();
      await stopping;
      expect(await run).toBeNull();
      expect([refreshed, released]).toEqual([0, 1]);
      // Another process takes the lease at once instead of waiting out the interval.
      expect(await second.takeRefreshLease(INTERVAL, new Date(START.getTime() + 1))).not.toBeNull();
    });

    it("a renewal that throws (storage down) is logged, the run goes on, and the next check renews again", async () => {
      const [first, second] = await twoHandles();
      const clock = { now: START };
      const log = new RecordingLog();
      const timers = new ManualTimers();
      const calls: string[] = [];
      const recorded = recordingLease(first, calls);
      let failures = 1;
      const store: SnapshotRefresherOptions["store"] = {
        ...recorded,
        renewRefreshLease: (lease, forMs, now) => {
          if (failures === 0) return recorded.renewRefreshLease(lease, forMs, now);
          failures -= 1;
          calls.push("renew: failed");
          return Promise.reject(new Error("connection refused"));
        },
      };
      const long = heldRefresh();
      const refresher = startSnapshotRefresher({ store, intervalMs: INTERVAL, refresh: long.refresh, log, now: () => clock.now, timers });
      cleanup.push(() => refresher.stop());
      const run = refresher.runOnce();
      await expect.poll(() => long.calls()).toBe(1);
      const every = leaseCheckEveryMs(INTERVAL);
      clock.now = new Date(START.getTime() + every);
      timers.fire();
      await expect.poll(() => log.lines.length).toBe(1);
      expect(log.lines[0]).toMatchObject({ level: "error", message: "prediction snapshot refresh lease could not be renewed" });
      expect((log.lines[0]?.fields as { err: Error }).err.message).toBe("connection refused");
      expect(long.signal()?.aborted).toBe(false);
      clock.now = new Date(START.getTime() + 2 * every);
      timers.fire();
      await expect.poll(() => calls).toEqual(["take", "renew: failed", "renew"]);
      expect(long.signal()?.aborted).toBe(false);
      long.finish();
      expect(await run).toEqual({ groups: 1, computed: 1, answering: 0 });
      expect(log.lines.map((line) => line.message)).toEqual(["prediction snapshot refresh lease could not be renewed", "prediction snapshots refreshed"]);
      // The second check's renewal holds the lease an interval past it.
      expect(await second.takeRefreshLease(INTERVAL, new Date(clock.now.getTime() + INTERVAL - 1))).toBeNull();
    });

    it("at the shortest interval (1 s) the lease is taken for two checks, so a late first check still finds it held", async () => {
      const [first, second] = await twoHandles();
      const clock = { now: START };
      const log = new RecordingLog();
      const timersA = new ManualTimers();
      const calls: string[] = [];
      const long = heldRefresh();
      const a = refresherOn(first, clock, timersA, log, { refresh: long.refresh, calls, intervalMs: 1_000 });
      const b = refresherOn(second, clock, new ManualTimers(), log, { refresh: () => Promise.resolve(EMPTY_REPORT), intervalMs: 1_000 });
      expect([...timersA.pending.values()].map((timer) => timer.ms)).toEqual([1_000]);
      const run = a.runOnce();
      await expect.poll(() => long.calls()).toBe(1);
      // The holder's first check is a little late: the other process asks first, and gets nothing.
      clock.now = new Date(START.getTime() + 1_001);
      expect(await b.runOnce()).toBeNull();
      timersA.fire();
      await expect.poll(() => calls).toEqual(["take", "renew"]);
      expect(long.signal()?.aborted).toBe(false);
      long.finish();
      expect(await run).toEqual({ groups: 1, computed: 1, answering: 0 });
      expect(log.lines.map((line) => line.message)).toEqual(["prediction snapshots refreshed"]);
    });

    it("keeps the lease through a run longer than the interval: the holder's checks renew it and start no second run, the other process's checks get nothing", async () => {
      const [first, second] = await twoHandles();
      const clock = { now: START };
      const log = new RecordingLog();
      const [timersA, timersB] = [new ManualTimers(), new ManualTimers()];
      const callsA: string[] = [];
      const callsB: string[] = [];
      const long = heldRefresh();
      let refreshedB = 0;
      const a = refresherOn(first, clock, timersA, log, { refresh: long.refresh, calls: callsA });
      refresherOn(second, clock, timersB, log, { refresh: () => ((refreshedB += 1), Promise.resolve(EMPTY_REPORT)), calls: callsB });
      const run = a.runOnce();
      await expect.poll(() => long.calls()).toBe(1);
      expect(a.runOnce()).toBe(run);
      // Five checks each, the last a quarter interval past the end of the lease as first taken.
      const every = leaseCheckEveryMs(INTERVAL);
      for (let check = 1; check <= 5; check++) {
        clock.now = new Date(START.getTime() + check * every);
        timersA.fire();
        timersB.fire();
        await expect.poll(() => [callsA.length, callsB.length]).toEqual([check + 1, check]);
      }
      expect(callsA).toEqual(["take", "renew", "renew", "renew", "renew", "renew"]);
      expect(callsB).toEqual(Array<string>(5).fill("take: held"));
      expect([long.calls(), refreshedB]).toEqual([1, 0]);
      long.finish();
      expect(await run).toEqual({ groups: 1, computed: 1, answering: 0 });
      expect(log.lines.map((line) => line.message)).toEqual(["prediction snapshots refreshed"]);
      // The finished run keeps the lease to an interval past its last renewal.
      const lastRenewal = START.getTime() + 5 * every;
      expect(await second.takeRefreshLease(INTERVAL, new Date(lastRenewal + INTERVAL - 1))).toBeNull();
      expect(await second.takeRefreshLease(INTERVAL, new Date(lastRenewal + INTERVAL))).not.toBeNull();
    });

    it("stops a run whose lease another process took (the holder was paused past its end), says so, and leaves the lease to the other", async () => {
      const [first, second] = await twoHandles();
      const clock = { now: START };
      const log = new RecordingLog();
      const timersA = new ManualTimers();
      const long = heldRefresh();
      const a = refresherOn(first, clock, timersA, log, { refresh: long.refresh });
      const b = refresherOn(second, clock, new ManualTimers(), log, { refresh: () => Promise.resolve(EMPTY_REPORT) });
      const run = a.runOnce();
      await expect.poll(() => long.calls()).toBe(1);
      // No check of the holder's came before its lease ran out; the other process took it.
      clock.now = new Date(START.getTime() + INTERVAL);
      expect(await b.runOnce()).toEqual(EMPTY_REPORT);
      clock.now = new Date(START.getTime() + INTERVAL + 1);
      timersA.fire();
      await run;
      expect(long.signal()?.aborted).toBe(true);
      expect(log.lines.slice(1)).toEqual([
        { level: "warn", fields: { heldUntil: new Date(START.getTime() + INTERVAL).toISOString() }, message: LOST_LEASE },
        { level: "info", fields: expect.objectContaining({ aborted: true }) as object, message: "prediction snapshots refreshed" },
      ]);
      // Not given back by the run that lost it: the other process's lease stands.
      expect(await first.takeRefreshLease(INTERVAL, clock.now)).toBeNull();
    });

    it("gives back a failed run's lease as last renewed, so another process takes it at once", async () => {
      const [first, second] = await twoHandles();
      const clock = { now: START };
      const timers = new ManualTimers();
      const calls: string[] = [];
      const long = heldRefresh();
      const refresher = refresherOn(first, clock, timers, new RecordingLog(), { refresh: long.refresh, calls });
      const run = refresher.runOnce();
      await expect.poll(() => long.calls()).toBe(1);
      clock.now = new Date(START.getTime() + leaseCheckEveryMs(INTERVAL));
      timers.fire();
      await expect.poll(() => calls).toEqual(["take", "renew"]);
      long.fail(new Error("storage went away"));
      await expect(run).rejects.toThrow("storage went away");
      expect(calls).toEqual(["take", "renew", "release"]);
      expect(await second.takeRefreshLease(INTERVAL, clock.now)).not.toBeNull();
    });

    it("a run that fails while its renewal is in flight waits for it and gives back the lease as renewed", async () => {
      const [first, second] = await twoHandles();
      const clock = { now: START };
      const timers = new ManualTimers();
      const long = heldRefresh();
      // The renewal reaches the database, but its answer is held until the test lets it through.
      let answer: (() => void) | null = null;
      const renewed = new Promise<void>((resolve) => (answer = resolve));
      let stored: Date | null = null;
      const store: SnapshotRefresherOptions["store"] = {
        takeRefreshLease: (forMs, now) => first.takeRefreshLease(forMs, now),
        renewRefreshLease: async (lease, forMs, now) => {
          const result = await first.renewRefreshLease(lease, forMs, now);
          stored = result;
          await renewed;
          return result;
        },
        releaseRefreshLease: (lease) => first.releaseRefreshLease(lease),
      };
      const refresher = startSnapshotRefresher({ store, intervalMs: INTERVAL, refresh: long.refresh, log: new RecordingLog(), now: () => clock.now, timers });
      cleanup.push(() => refresher.stop());
      const run = refresher.runOnce();
      await expect.poll(() => long.calls()).toBe(1);
      clock.now = new Date(START.getTime() + leaseCheckEveryMs(INTERVAL));
      timers.fire();
      // Renewed in the database: the lease's end has moved on, the refresher does not know it yet.
      await expect.poll(() => stored).toEqual(new Date(clock.now.getTime() + INTERVAL));
      long.fail(new Error("storage went away"));
      (answer as (() => void) | null)?.();
      await expect(run).rejects.toThrow("storage went away");
      expect(await second.takeRefreshLease(INTERVAL, clock.now)).not.toBeNull();
    });

    it(`without a test clock the store times the lease: a process whose host clock is two hours ahead ${engine.name === "postgres" ? "does not take a held lease (PostgreSQL's clock decides)" : "takes it (SQLite's processes share one host's clock)"}`, async () => {
      const [first, second] = await twoHandles();
      const log = new RecordingLog();
      const long = heldRefresh();
      const run = refresherOn(first, null, new ManualTimers(), log, { refresh: long.refresh }).runOnce();
      await expect.poll(() => long.calls()).toBe(1);
      vi.useFakeTimers({ toFake: ["Date"], now: Date.now() + 2 * INTERVAL });
      try {
        const ahead = refresherOn(second, null, new ManualTimers(), log, { refresh: () => Promise.resolve(EMPTY_REPORT) });
        expect(await ahead.runOnce()).toEqual(engine.name === "postgres" ? null : EMPTY_REPORT);
      } finally {
        vi.useRealTimers();
      }
      long.finish();
      await run;
    });
  });
}
