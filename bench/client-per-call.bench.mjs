/**
 * Issue 2, "Speed and memory", measure 1: what one call costs the caller.
 *   SDK      client.track(client.eventBuilder.build(fields))  (enabled, not started, huge queue)
 *   SDK with spool  the same with spoolDir in a fresh temp folder (one write per event-loop turn)
 *   floor         array push of one object literal naming the 26 fields (uuid, ISO time, envelope)
 *   floor-spread  the same with {...fields, event_id, timestamp, instance_id, schema_version},
 *                 as earlier runs wrote the floor (shown for comparison; targets use floor)
 *   posthog  capture({distinctId, event, properties: fields})  (flushAt/queue 10M, no timer)
 *   segment  track({userId, event, properties: fields})        (flushAt 10M, 24 h interval)
 * Both peers finish a call in promise or timer callbacks, so every timed round ends by yielding
 * macrotasks until the library has taken in every event (settle): the deferred work is paid
 * inside the measurement, as it is in an app. Setting up (segment's async plugin registration)
 * happens before the clock starts.
 * Rounds alternate subjects in a rotating order (fresh instance per round, a full gc before
 * each when run with --expose-gc, as run-all does) so drift on the machine hits all alike.
 * Targets: SDK <= 2x floor, SDK <= 1/5 of the faster peer (printed as peer/SDK >= 5);
 * with the spool: <= 3x floor and posthog-node >= 3x the SDK's cost.
 *
 *   node bench/client-per-call.bench.mjs [--calls 10000] [--rounds 9] [--warmup 30000]
 */
import { startSink } from "./lib/sink.mjs";
import { loadSdk } from "./lib/sdk.mjs";
import { createSubject, isSdkSubject, SUBJECT_NAMES } from "./lib/subjects.mjs";
import { intArg, median, nsSince, settle } from "./lib/stats.mjs";
import { fmt, printMachine, printTable, printTarget } from "./lib/report.mjs";

const CALLS = intArg("calls", 10_000);
const ROUNDS = intArg("rounds", 9);
const WARMUP = intArg("warmup", 30_000);

/** ns per call, or null when the subject never took in every event (then it is reported). */
async function timeRound(subject, calls) {
  await subject.ready();
  const start = process.hrtime.bigint();
  for (let i = 0; i < calls; i++) subject.track();
  const complete = await settle(subject, calls);
  const ns = nsSince(start) / calls;
  return complete ? ns : null;
}

async function main() {
  await printMachine();
  console.log(`per-call cost: ${ROUNDS} rounds x ${fmt(CALLS)} calls after ${fmt(WARMUP)} warm-up calls, median ns/call`);
  const loaded = await loadSdk();
  const names = SUBJECT_NAMES.filter((name) => !isSdkSubject(name) || loaded.sdk);
  if (!loaded.sdk) console.log(`SDK skipped: ${loaded.reason}`);
  // Only segment reaches the sink here (it ships every 480 KB whatever flushAt says).
  const sink = await startSink({ mode: "answer" });
  const context = { loaded, sinkUrl: sink.url, mode: "hold" };
  const samples = Object.fromEntries(names.map((name) => [name, []]));
  const problems = [];
  try {
    for (const name of names) {
      const subject = await createSubject(name, context);
      await timeRound(subject, WARMUP);
      await subject.close();
    }
    for (let round = 0; round < ROUNDS; round++) {
      // Rotate the order each round, so no subject always follows the same one.
      const order = names.map((_, i) => names[(i + round) % names.length]);
      for (const name of order) {
        const subject = await createSubject(name, context);
        // Collect the previous subject's garbage now, not on this subject's clock.
        globalThis.gc?.();
        const ns = await timeRound(subject, CALLS);
        // A subject that dropped or rejected events would look cheap for the wrong reason.
        if (ns === null) problems.push(`${name}: took in ${subject.processed()} of ${CALLS} events; round not counted`);
        else samples[name].push(ns);
        if (subject.errors?.length) problems.push(`${name}: onError ${subject.errors[0].message}`);
        await subject.close();
      }
    }
  } finally {
    await sink.close();
  }
  const ns = Object.fromEntries(names.map((name) => [name, median(samples[name])]));
  const floor = ns.floor;
  printTable(
    ["subject", "median ns/call", "min", "max", "x floor"],
    names.map((name) => [
      name,
      fmt(ns[name]),
      fmt(Math.min(...samples[name])),
      fmt(Math.max(...samples[name])),
      (ns[name] / floor).toFixed(2),
    ]),
  );
  const fasterPeer = Math.min(ns.posthog, ns.segment);
  const fasterName = ns.posthog <= ns.segment ? "posthog-node" : "segment";
  printTarget("SDK / floor", loaded.sdk ? ns.sdk / floor : null, "<=", 2);
  printTarget(`faster peer (${fasterName}) / SDK`, loaded.sdk ? fasterPeer / ns.sdk : null, ">=", 5);
  printTarget("SDK with spool / floor", loaded.sdk ? ns["sdk-spool"] / floor : null, "<=", 3);
  printTarget("posthog-node / SDK with spool", loaded.sdk ? ns.posthog / ns["sdk-spool"] : null, ">=", 3);
  for (const problem of [...new Set(problems)]) console.log(`! ${problem}`);
  console.log(`RESULT ${JSON.stringify({ bench: "per-call", calls: CALLS, rounds: ROUNDS, nsPerCall: ns, problems })}`);
}

await main();
// Peers may keep sockets or timers alive; every bench must exit by itself.
process.exit(0);
