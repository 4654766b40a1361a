/**
 * A process that uses a spool, for the tests that need one to die for real (spool-processes.test.ts).
 * Run as `node --import tsx spool-child.ts '<ChildPlan JSON>'`; reports on stdout, one JSON per line.
 */
import { Spool } from "../../src/spool/spool.js";
import { event, ids, nextTurn } from "./spool-fixtures.js";
import type { ChildPlan } from "./spool-fixtures.js";

const plan = JSON.parse(process.argv[2] as string) as ChildPlan;
const say = (message: Record<string, unknown>): void => {
  process.stdout.write(`${JSON.stringify(message)}\n`);
};

while (plan.openAt !== undefined && Date.now() < plan.openAt) {
  // spin: both racers leave this loop within the same millisecond
}
const { spool, recovered } = Spool.open({ dir: plan.dir, syncIntervalMs: 60_000, onFailure: (error) => say({ failure: error.message }) });
say({ opened: true, pid: process.pid, recovered: recovered.ids, claimedFiles: recovered.claimedFiles, corruptRecords: recovered.corruptRecords });

const prefix = plan.prefix ?? `p${process.pid}`;
const perTurn = plan.perTurn ?? 10;

if (plan.then === "stream") {
  // Append forever; after each turn report how many appends that turn's write covered.
  for (let turn = 0; ; turn++) {
    for (const id of ids(prefix, perTurn, turn * perTurn)) spool.append(id, event(id));
    await nextTurn();
    say({ appended: (turn + 1) * perTurn });
  }
}

const all = ids(prefix, plan.count ?? 0);
for (let i = 0; i < all.length; i += perTurn) {
  for (const id of all.slice(i, i + perTurn)) spool.append(id, event(id));
  if (plan.then === "exit-now" && i + perTurn >= all.length) process.exit(0); // in the turn that appended
  await nextTurn();
}
say({ ready: true, appended: all });
if (plan.then === "close") await spool.close();
else if (plan.then === "stay") setInterval(() => {}, 1 << 30); // alive until killed
// "leave": nothing holds the process; it must end by itself (the fsync timer is unref'd)
