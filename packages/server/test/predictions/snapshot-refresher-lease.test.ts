import { describe, expect, it } from "vitest";
import { leaseCheckEveryMs, startSnapshotRefresher, type SnapshotRefresherOptions } from "../../src/predictions/snapshot-refresher.js";
import { ENGINES, engineTitle } from "../helpers/engines.js";
import { EMPTY_REPORT, INTERVAL, LOST_LEASE, ManualTimers, RecordingLog, START, heldRefresh, recordingLease, refresherHarness } from "./refresher-harness.js";

/** The refresher's lease while a run goes on: renewals, runs longer than the interval, a lease lost to another process. */

for (const engine of ENGINES) {
  describe.skipIf(engine.skip !== null)(engineTitle(engine, `snapshot refresher lease: ${engine.name}`), () => {
    const { cleanup, twoHandles, refresherOn } = refresherHarness(engine.name);

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
  });
}
