import { describe, expect, it, vi } from "vitest";
import type { RefreshReport } from "../../src/predictions/privacy/private-predictor.js";
import { leaseCheckEveryMs, startSnapshotRefresher, type SnapshotRefresherOptions } from "../../src/predictions/snapshot-refresher.js";
import { ENGINES, engineTitle } from "../helpers/engines.js";
import { toStore } from "../helpers/events-to-store.js";
import { makeEvent, seedInstance } from "../storage/storage-fixtures.js";
import { EMPTY_REPORT, INTERVAL, ManualTimers, RecordingLog, START, heldRefresh, refresherHarness } from "./refresher-harness.js";

/** The refresher's runs: one process per interval, failures, stop(), and whose clock times the lease. Renewals: snapshot-refresher-lease.test.ts. */

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
    const { cleanup, twoHandles, refresherOn } = refresherHarness(engine.name);

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
