// On a socket: the server is started as an operator starts it (startServer), so its refresher is the one an operator gets.
import { afterAll, describe, expect, it } from "vitest";
import { removeTempDirs, sharedSqliteEnv, startLoggedServer } from "../faults/fault-servers.js";

afterAll(removeTempDirs);

describe("the background refresher in a started server", () => {
  it("starts with the server, refreshes once its first check comes, says so in the log, and stops with it", async () => {
    // The shortest interval the configuration takes (1 s) checks the lease every second: the one
    // place a real second passes, since startServer's timers are Node's own.
    const logged = await startLoggedServer({ ...sharedSqliteEnv(), PREDICTION_SNAPSHOT_INTERVAL: "1" });
    try {
      expect(logged.lines(30, /^prediction snapshots: refreshed in the background$/)).toMatchObject([{ checkEveryMs: 1_000 }]);
      await expect.poll(() => logged.lines(30, /^prediction snapshots refreshed$/).length, { timeout: 10_000, interval: 100 }).toBeGreaterThan(0);
      expect(logged.lines(30, /^prediction snapshots refreshed$/)[0]).toMatchObject({ groups: 0, computed: 0, aborted: false });
    } finally {
      await logged.server.stop();
    }
    // Stopped with the server: past another check period nothing more is logged (the unit tests
    // check the timer itself with a fake one; this checks that stop() reaches it).
    const after = logged.logs.length;
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    expect(logged.logs.length).toBe(after);
  });

  it("PREDICTION_BACKGROUND_REFRESH=false starts none, and says so", async () => {
    const logged = await startLoggedServer({ ...sharedSqliteEnv(), PREDICTION_BACKGROUND_REFRESH: "false" });
    try {
      expect(logged.lines(30, /^prediction snapshots: no background refresh/)).toHaveLength(1);
      expect(logged.lines(30, /^prediction snapshots: refreshed in the background$/)).toHaveLength(0);
    } finally {
      await logged.server.stop();
    }
  });
});
