import { describe, expect, it } from "vitest";
import { killHard, startChild } from "./spool-children.js";
import { ids, records, spoolFiles, writeLeftover } from "./spool-fixtures.js";
import { useSpoolFolder } from "./spool-folder.js";

/*
 * Real processes, killed for real: what the spool promises is about processes dying at any
 * instruction, which no in-process simulation shows.
 */
const folder = useSpoolFolder();
/** Pids no process can have (Linux's pid_max is at most 2^22): owners dead for real. */
const BEYOND_PID_MAX = 4_194_305;

describe("spool across processes", () => {
  it("SIGKILL after the appends' turns loses nothing: the next open recovers all, once each, same ids, in order", async () => {
    const running = startChild({ dir: folder.dir(), count: 250, perTurn: 25, prefix: "k", then: "stay" });
    await running.waitFor((message) => message.ready === true);
    await killHard(running);
    expect(spoolFiles(folder.dir())).toHaveLength(1);

    const { spool, recovered } = folder.open();
    expect(recovered.ids).toEqual(ids("k", 250));
    expect(recovered.corruptRecords).toBe(0);
    expect(recovered.claimedFiles).toBe(1);
    expect(spool.liveCount).toBe(250);
  });

  it("SIGKILL in the middle of a stream of appends keeps every turn that ended, as an unbroken prefix", async () => {
    const running = startChild({ dir: folder.dir(), perTurn: 10, prefix: "s", then: "stream" });
    const reported = await running.waitFor((message) => typeof message.appended === "number" && message.appended >= 300);
    await killHard(running);

    const { recovered } = folder.open();
    const count = recovered.ids.length;
    expect(count).toBeGreaterThanOrEqual(reported.appended as number);
    expect(recovered.ids).toEqual(ids("s", count));
    expect(recovered.corruptRecords).toBeLessThanOrEqual(1); // at most the one write the kill cut
  });

  it("process.exit() in the very turn that appended still writes the events (the 'exit' listener)", async () => {
    const running = startChild({ dir: folder.dir(), count: 40, perTurn: 40, prefix: "x", then: "exit-now" });
    expect(await running.exited).toBe(0);
    const { recovered } = folder.open();
    expect(recovered.ids).toEqual(ids("x", 40));
  });

  it("an open spool never keeps the process alive, and what it left is recovered", async () => {
    const running = startChild({ dir: folder.dir(), count: 30, perTurn: 10, prefix: "l", then: "leave" });
    await running.waitFor((message) => message.ready === true);
    const code = await Promise.race([running.exited, new Promise((resolve) => setTimeout(resolve, 10_000, "still running"))]);
    if (code === "still running") running.child.kill("SIGKILL");
    expect(code).toBe(0);
    expect(folder.open().recovered.ids).toEqual(ids("l", 30));
  });

  it("a live process's file is never claimed; after its death racing openers get its events exactly once in total", async () => {
    const owner = startChild({ dir: folder.dir(), count: 60, perTurn: 20, prefix: "o", then: "stay" });
    await owner.waitFor((message) => message.ready === true);

    // While the owner lives, neither this process nor another one claims its file.
    const watcher = folder.open();
    expect(watcher.recovered.claimedFiles).toBe(0);
    const bystander = startChild({ dir: folder.dir(), then: "close" });
    expect(await bystander.waitFor((message) => message.opened === true)).toMatchObject({ claimedFiles: 0, recovered: [] });
    await bystander.exited;
    expect(watcher.spool.claimLeftovers().claimedFiles).toBe(0);

    await killHard(owner);
    // Beside the killed owner's file, many files of long-dead owners, so the racers' claim loops
    // overlap for a while: a claim that is not one atomic rename would hand some file to two of them.
    const expected = [...ids("o", 60)];
    for (let i = 0; i < 400; i++) {
      writeLeftover(folder.dir(), { pid: BEYOND_PID_MAX + i, start: "0" }, records(ids(`d${i}`, 2)));
      expected.push(...ids(`d${i}`, 2));
    }
    const openAt = Date.now() + 1500; // every racer is up by then; they leave their spin together
    // Racers stay alive until all have opened: one that ended first would be a dead owner whose
    // file (with what it claimed) a later racer would rightly claim.
    const racers = [0, 1, 2].map(() => startChild({ dir: folder.dir(), then: "stay", openAt }));
    const opened = await Promise.all(racers.map((racer) => racer.waitFor((message) => message.opened === true)));

    const got = opened.flatMap((message) => message.recovered as string[]);
    expect(got.sort()).toEqual(expected.sort());
    expect(opened.reduce((sum, message) => sum + (message.claimedFiles as number), 0)).toBe(401);
    // The watcher lives on: its file was not taken by the racers.
    expect(watcher.spool.active).toBe(true);
    await watcher.spool.close();

    // The racers die holding the events: the next opener gets them all, once each.
    await Promise.all(racers.map(killHard));
    const { recovered } = folder.open();
    expect(recovered.ids.sort()).toEqual(expected);
  });
});
