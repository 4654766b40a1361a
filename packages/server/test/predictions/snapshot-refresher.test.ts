import { afterEach, describe, expect, it } from "vitest";
import { createPredictor } from "../../src/predictions/predictor.js";
import type { RefreshReport } from "../../src/predictions/privacy/private-predictor.js";
import { seededSnapshotNoise } from "../../src/predictions/privacy/private-predictor.js";
import { leaseCheckEveryMs, startSnapshotRefresher, type RefresherLog, type RefresherTimers, type SnapshotRefresher } from "../../src/predictions/snapshot-refresher.js";
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
  readonly lines: { level: "info" | "error"; fields: object; message: string }[] = [];
  info(fields: object, message: string): void {
    this.lines.push({ level: "info", fields, message });
  }
  error(fields: object, message: string): void {
    this.lines.push({ level: "error", fields, message });
  }
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

    function refresherOn(storage: Storage, clock: { now: Date }, timers: RefresherTimers, log: RecordingLog, refresh?: (signal: AbortSignal) => Promise<RefreshReport>): SnapshotRefresher {
      const predictor = createPredictor(storage, { minEvents: 10, minContributors: 5, snapshotIntervalMs: INTERVAL }, { now: () => clock.now, noise: seededSnapshotNoise("refresher") });
      const refresher = startSnapshotRefresher({
        store: storage,
        intervalMs: INTERVAL,
        refresh: refresh ?? ((signal) => (predictor.refreshAll as NonNullable<typeof predictor.refreshAll>)(signal)),
        log,
        now: () => clock.now,
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
      expect((await first.readSnapshots(["[\"anthropic\"]"])).size).toBe(1);
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
      refresherOn(storage, clock, timers, log, () => {
        calls += 1;
        return Promise.reject(new Error("storage went away"));
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
      const refresher = refresherOn(storage, clock, timers, new RecordingLog(), (signal) => {
        seen = signal;
        return new Promise((resolve) => {
          finish = () => resolve({ groups: 0, computed: 0, answering: 0 });
        });
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
      expect(await other.takeRefreshLease(new Date(START.getTime() + 1), new Date(START.getTime() + INTERVAL))).toBe(true);
    });
  });
}
