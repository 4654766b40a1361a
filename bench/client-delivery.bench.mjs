/**
 * Issue 2, "Speed and memory", measure 3: delivered events/s to a loopback sink.
 * Each round: N events tracked, then the subject's own "send everything and finish" call;
 * events/s = events counted AT THE SINK / elapsed (track + drain), and the sink must have
 * counted every event.
 *   SDK         start(), track(build(fields)) x N, await stop()            (batchSize 100)
 *   SDK spool   the same with spoolDir (written per turn, removed as answered, fsync'ed)
 *   fetch-loop  floor events (one object literal each), then 100-event batches POSTed with
 *               fetch one after another
 *   posthog     capture x N, await shutdown()                              (flushAt/maxBatchSize 100)
 *   segment     track x N, await closeAndFlush()                           (flushAt 100)
 * The sink runs in its own process, so its parsing never shares this event loop.
 * Targets: SDK >= 0.8x fetch-loop, SDK >= 3x posthog-node, SDK with spool >= 0.7x SDK.
 *
 *   node bench/client-delivery.bench.mjs [--events 50000] [--rounds 5]
 */
import { startSink, totalEvents } from "./lib/sink.mjs";
import { loadSdk } from "./lib/sdk.mjs";
import { createSubject, DELIVERY_SUBJECT_NAMES, isSdkSubject } from "./lib/subjects.mjs";
import { intArg, median, nsSince } from "./lib/stats.mjs";
import { fmt, printMachine, printTable, printTarget } from "./lib/report.mjs";

const EVENTS = intArg("events", 50_000);
const ROUNDS = intArg("rounds", 5);

async function deliverOnce(name, context, sink) {
  await sink.reset();
  const subject = await createSubject(name, context);
  await subject.ready();
  const start = process.hrtime.bigint();
  for (let i = 0; i < EVENTS; i++) subject.track();
  await subject.close();
  const seconds = nsSince(start) / 1e9;
  const stats = await sink.stats();
  const delivered = totalEvents(stats);
  return { eventsPerSecond: delivered / seconds, delivered, seconds, requests: stats.requests, errors: subject.errors ?? [] };
}

async function main() {
  await printMachine();
  console.log(`delivery: ${fmt(EVENTS)} events per run, ${ROUNDS} rounds, median events/s counted at the sink`);
  const loaded = await loadSdk();
  const names = DELIVERY_SUBJECT_NAMES.filter((name) => !isSdkSubject(name) || loaded.sdk);
  if (!loaded.sdk) console.log(`SDK skipped: ${loaded.reason}`);
  const sink = await startSink({ mode: "answer" });
  const context = { loaded, sinkUrl: sink.url, mode: "deliver" };
  const runs = Object.fromEntries(names.map((name) => [name, []]));
  const problems = [];
  try {
    // One small untimed pass each, so JIT warm-up and socket set-up are not in round 1.
    const warmEvents = Math.min(EVENTS, 2_000);
    for (const name of names) {
      const subject = await createSubject(name, context);
      await subject.ready();
      for (let i = 0; i < warmEvents; i++) subject.track();
      await subject.close();
    }
    for (let round = 0; round < ROUNDS; round++) {
      for (const name of names) {
        const run = await deliverOnce(name, context, sink);
        runs[name].push(run);
        if (run.delivered !== EVENTS) problems.push(`${name}: sink counted ${run.delivered} of ${EVENTS} events`);
        if (run.errors.length) problems.push(`${name}: onError ${run.errors[0].message}`);
        globalThis.gc?.();
      }
    }
  } finally {
    await sink.close();
  }
  const rate = Object.fromEntries(names.map((name) => [name, median(runs[name].map((r) => r.eventsPerSecond))]));
  printTable(
    ["subject", "median events/s", "min", "max", "requests/run", "delivered/run", "x fetch-loop"],
    names.map((name) => {
      const rates = runs[name].map((r) => r.eventsPerSecond);
      return [
        name,
        fmt(rate[name]),
        fmt(Math.min(...rates)),
        fmt(Math.max(...rates)),
        fmt(median(runs[name].map((r) => r.requests))),
        fmt(Math.min(...runs[name].map((r) => r.delivered))),
        (rate[name] / rate["fetch-loop"]).toFixed(2),
      ];
    }),
  );
  printTarget("SDK / fetch-loop", loaded.sdk ? rate.sdk / rate["fetch-loop"] : null, ">=", 0.8);
  printTarget("SDK / posthog-node", loaded.sdk ? rate.sdk / rate.posthog : null, ">=", 3);
  printTarget("SDK with spool / SDK", loaded.sdk ? rate["sdk-spool"] / rate.sdk : null, ">=", 0.7);
  console.log(`- every event delivered: ${problems.some((p) => p.includes("sink counted")) ? "NO" : "yes"}`);
  for (const problem of [...new Set(problems)]) console.log(`! ${problem}`);
  console.log(`RESULT ${JSON.stringify({ bench: "delivery", events: EVENTS, rounds: ROUNDS, eventsPerSecond: rate, problems })}`);
}

await main();
process.exit(0);
