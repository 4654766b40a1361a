import { describe, expect, it } from "vitest";
import { GroupCommit } from "../../src/storage/group-commit.js";

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

describe("group commit", () => {
  it("runs the first job alone, then everything that queued meanwhile as one group, each answered with its own result", async () => {
    const runner = gatedRunner();
    const queue = new GroupCommit<number, number>({ runTogether: runner.runTogether, retryAlone: () => true, weight: () => 1, maxWeight: 100 });
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
    const queue = new GroupCommit<number, number>({ runTogether: runner.runTogether, retryAlone: () => true, weight: (job) => job, maxWeight: 5 });
    const answers = [1, 2, 3, 4, 9].map((job) => queue.submit(job));
    for (let i = 0; i < 4; i++) await runner.releaseNext();
    expect(await Promise.all(answers)).toEqual([10, 20, 30, 40, 90]);
    // [1], then 2+3 (5), then 4 (4+9 > 5), then 9 alone (heavier than the cap, still runs).
    expect(runner.calls).toEqual([[1], [2, 3], [4], [9]]);
  });

  it("retries a failed group job by job, so one bad job fails alone", async () => {
    const runner = gatedRunner();
    const queue = new GroupCommit<number, number>({ runTogether: runner.runTogether, retryAlone: () => true, weight: () => 1, maxWeight: 100 });
    const first = queue.submit(1);
    const group = [queue.submit(2), queue.submit(-1), queue.submit(3)].map((answer) => answer.catch((error: Error) => error.message));
    for (let i = 0; i < 5; i++) await runner.releaseNext();
    expect(await first).toBe(10);
    expect(await Promise.all(group)).toEqual([20, "bad job", 30]);
    expect(runner.calls).toEqual([[1], [2, -1, 3], [2], [-1], [3]]);
  });

  it("fails the whole group at once when the failure is not one job's (an outage)", async () => {
    const runner = gatedRunner();
    const queue = new GroupCommit<number, number>({ runTogether: runner.runTogether, retryAlone: () => false, weight: () => 1, maxWeight: 100 });
    const first = queue.submit(1);
    const group = [queue.submit(-1), queue.submit(2)].map((answer) => answer.catch((error: Error) => error.message));
    await runner.releaseNext();
    await first;
    await runner.releaseNext();
    expect(await Promise.all(group)).toEqual(["bad job", "bad job"]);
    expect(runner.calls).toEqual([[1], [-1, 2]]);
  });
});
