import { afterEach, describe, expect, it, vi } from "vitest";
import { GroupCommit, type GroupCommitOptions } from "../../src/storage/postgres/group-commit.js";
import { StorageUnavailableError } from "../../src/storage/storage.js";

/** A runTogether whose calls the test releases one by one, recording what each call held. */
function gatedRunner() {
  const calls: number[][] = [];
  const gates: (() => void)[] = [];
  const runTogether = async (jobs: readonly number[]) => {
    calls.push([...jobs]);
    await new Promise<void>((open) => gates.push(open));
    if (jobs.includes(-1)) throw new Error("bad job");
    return jobs.map((job) => job * 10);
  };
  const releaseNext = async () => {
    for (let i = 0; i < 50 && gates.length === 0; i++) await Promise.resolve();
    gates.shift()?.();
  };
  return { calls, runTogether, releaseNext };
}

/** Bounds far away unless a test sets them. */
function queueOf(options: Partial<GroupCommitOptions<number, number>> & Pick<GroupCommitOptions<number, number>, "runTogether" | "retryAlone">) {
  return new GroupCommit<number, number>({ weight: () => 1, maxWeight: 100, maxWaitMs: 60_000, maxQueuedWeight: 1_000_000, ...options });
}

describe("group commit", () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it("runs the first job alone, then everything that queued meanwhile as one group, each answered with its own result", async () => {
    const runner = gatedRunner();
    const queue = queueOf({ runTogether: runner.runTogether, retryAlone: () => true, weight: () => 1, maxWeight: 100 });
    const first = queue.submit(1);
    const rest = [queue.submit(2), queue.submit(3), queue.submit(4)];
    await runner.releaseNext();
    expect(await first).toBe(10);
    await runner.releaseNext();
    expect(await Promise.all(rest)).toEqual([20, 30, 40]);
    expect(runner.calls).toEqual([[1], [2, 3, 4]]);
  });

  it("caps a group at maxWeight", async () => {
    const runner = gatedRunner();
    const queue = queueOf({ runTogether: runner.runTogether, retryAlone: () => true, weight: (job) => job, maxWeight: 5 });
    const answers = [1, 2, 3, 4, 9].map((job) => queue.submit(job));
    for (let i = 0; i < 4; i++) await runner.releaseNext();
    expect(await Promise.all(answers)).toEqual([10, 20, 30, 40, 90]);
    // [1], then 2+3 (5), then 4 (4+9 > 5), then 9 alone (heavier than the cap, still runs).
    expect(runner.calls).toEqual([[1], [2, 3], [4], [9]]);
  });

  it("retries a failed group job by job, so one bad job fails alone", async () => {
    const runner = gatedRunner();
    const queue = queueOf({ runTogether: runner.runTogether, retryAlone: () => true, weight: () => 1, maxWeight: 100 });
    const first = queue.submit(1);
    const group = [queue.submit(2), queue.submit(-1), queue.submit(3)].map((answer) => answer.catch((error: Error) => error.message));
    for (let i = 0; i < 5; i++) await runner.releaseNext();
    expect(await first).toBe(10);
    expect(await Promise.all(group)).toEqual([20, "bad job", 30]);
    expect(runner.calls).toEqual([[1], [2, -1, 3], [2], [-1], [3]]);
  });

  it("fails the whole group at once when the failure is not one job's (an outage)", async () => {
    const runner = gatedRunner();
    const queue = queueOf({ runTogether: runner.runTogether, retryAlone: () => false, weight: () => 1, maxWeight: 100 });
    const first = queue.submit(1);
    const group = [queue.submit(-1), queue.submit(2)].map((answer) => answer.catch((error: Error) => error.message));
    await runner.releaseNext();
    await first;
    await runner.releaseNext();
    expect(await Promise.all(group)).toEqual(["bad job", "bad job"]);
    expect(runner.calls).toEqual([[1], [-1, 2]]);
  });

  it("after an outage in a job-by-job retry, fails the rest of the group at once instead of retrying each", async () => {
    const runner = gatedRunner();
    const outage = new StorageUnavailableError("down");
    let runs = 0;
    const queue = queueOf({
      runTogether: async (jobs) => {
        runs++;
        if (runs === 1) return runner.runTogether(jobs);
        if (runs === 2) throw new Error("one job's data"); // the group: retried alone
        throw outage; // the first alone-retry meets the outage
      },
      retryAlone: (error) => !(error instanceof StorageUnavailableError),
    });
    const first = queue.submit(1);
    const group = [queue.submit(2), queue.submit(3), queue.submit(4)].map((answer) => answer.catch((error: unknown) => error));
    await runner.releaseNext();
    expect(await first).toBe(10);
    expect(await Promise.all(group)).toEqual([outage, outage, outage]);
    expect(runs).toBe(3); // the group once, job 2 alone once; 3 and 4 were not tried again
  });

  it("fails a job that waits longer than maxWaitMs behind a stuck group with StorageUnavailableError; the queue works again afterwards", async () => {
    vi.useFakeTimers();
    const runner = gatedRunner();
    const queue = queueOf({ runTogether: runner.runTogether, retryAlone: () => true, maxWaitMs: 5000 });
    const stuck = queue.submit(1); // its group never finishes until released
    const waiting = queue.submit(2).catch((error: unknown) => error);
    await vi.advanceTimersByTimeAsync(4999);
    expect(queue.queued).toBe(1);
    await vi.advanceTimersByTimeAsync(1);
    const error = await waiting;
    expect(error).toBeInstanceOf(StorageUnavailableError);
    expect(queue.queued).toBe(0);
    await runner.releaseNext();
    expect(await stuck).toBe(10);
    const later = queue.submit(3);
    await runner.releaseNext();
    expect(await later).toBe(30);
    expect(runner.calls).toEqual([[1], [3]]); // the expired job was never written
  });

  it("refuses a job beyond maxQueuedWeight at once, and accepts again once the queue drains", async () => {
    const runner = gatedRunner();
    const queue = queueOf({ runTogether: runner.runTogether, retryAlone: () => true, weight: (job) => job, maxQueuedWeight: 10 });
    const running = queue.submit(50); // heavier than the bound, but the queue was empty: it runs
    const queued = [queue.submit(4), queue.submit(6)]; // 10 waiting: at the bound
    const refused = await queue.submit(1).catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(StorageUnavailableError);
    await runner.releaseNext();
    await runner.releaseNext();
    expect(await running).toBe(500);
    expect(await Promise.all(queued)).toEqual([40, 60]);
    const again = queue.submit(1);
    await runner.releaseNext();
    expect(await again).toBe(10);
  });
});
