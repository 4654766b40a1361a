/**
 * Issue 2, "Speed and memory", measure 2: heap retained per queued (unsent) event.
 * For each subject a fresh child process (`node --expose-gc`), so heaps never mix:
 *   warm up on a throw-away instance, create the measured instance, gc, read heapUsed,
 *   track N events without sending, let deferred work settle, gc, read heapUsed;
 *   (after - before) / N.
 * The peers point at a sink that never answers: segment (which ships every 480 KB whatever
 * flushAt says) keeps its batches in flight, so what it holds for unsent events is still counted.
 * Target: SDK <= 1.1x floor.
 *
 *   node bench/client-memory.bench.mjs [--events 20000]            (parent: runs every subject)
 *   node --expose-gc bench/client-memory.bench.mjs --subject sdk --sink URL [--events 20000]
 */
import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { startSink } from "./lib/sink.mjs";
import { loadSdk } from "./lib/sdk.mjs";
import { createSubject, isSdkSubject, SUBJECT_NAMES } from "./lib/subjects.mjs";
import { intArg, median, nextMacrotask, settle, stringArg } from "./lib/stats.mjs";
import { fmt, printMachine, printTable, printTarget } from "./lib/report.mjs";

const EVENTS = intArg("events", 20_000);
const REPEATS = intArg("repeats", 3);
const WARMUP = 2_000;

/** A few more turns after settle(): let in-flight sends (segment) reach the socket. */
async function quiesce() {
  for (let i = 0; i < 10; i++) await nextMacrotask();
}

function heapAfterGc() {
  // Twice: the first pass can leave weakly held or finalizable objects for the second.
  globalThis.gc();
  globalThis.gc();
  return process.memoryUsage().heapUsed;
}

/** Child: measures one subject and prints `RESULT {...}`. */
async function measureOne(name, sinkUrl) {
  if (typeof globalThis.gc !== "function") throw new Error("run the child with node --expose-gc");
  const loaded = await loadSdk();
  const context = { loaded, sinkUrl, mode: "hold" };
  const warm = await createSubject(name, context);
  await warm.ready();
  for (let i = 0; i < WARMUP; i++) warm.track();
  await settle(warm, WARMUP);
  await warm.close();
  const subject = await createSubject(name, context);
  await subject.ready();
  await quiesce();
  const before = heapAfterGc();
  for (let i = 0; i < EVENTS; i++) subject.track();
  await settle(subject, EVENTS);
  await quiesce();
  const after = heapAfterGc();
  const processed = subject.processed();
  const result = { subject: name, events: EVENTS, bytesPerEvent: (after - before) / EVENTS, processed };
  console.log(`RESULT ${JSON.stringify(result)}`);
}

function runChild(name, sinkUrl) {
  const script = fileURLToPath(import.meta.url);
  const args = ["--expose-gc", script, "--subject", name, "--sink", sinkUrl, "--events", String(EVENTS)];
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, { stdio: ["ignore", "pipe", "inherit"] });
    let out = "";
    child.stdout.on("data", (chunk) => (out += chunk));
    child.on("exit", (code) => {
      const line = out.split("\n").find((l) => l.startsWith("RESULT "));
      if (code !== 0 || !line) reject(new Error(`${name}: child exited ${code} without a result`));
      else resolve(JSON.parse(line.slice("RESULT ".length)));
    });
  });
}

async function main() {
  await printMachine();
  console.log(`heap retained per queued event: ${fmt(EVENTS)} events, median of ${REPEATS} fresh processes per subject`);
  const loaded = await loadSdk();
  const names = SUBJECT_NAMES.filter((name) => !isSdkSubject(name) || loaded.sdk);
  if (!loaded.sdk) console.log(`SDK skipped: ${loaded.reason}`);
  const sink = await startSink({ mode: "hang" });
  const samples = Object.fromEntries(names.map((name) => [name, []]));
  const problems = [];
  try {
    for (let repeat = 0; repeat < REPEATS; repeat++) {
      for (const name of names) {
        const result = await runChild(name, sink.url);
        samples[name].push(result.bytesPerEvent);
        if (result.processed !== EVENTS) problems.push(`${name}: took in ${result.processed} of ${EVENTS} events`);
      }
    }
  } finally {
    await sink.close();
  }
  const bytes = Object.fromEntries(names.map((name) => [name, median(samples[name])]));
  printTable(
    ["subject", "median bytes/event", "min", "max", "x floor"],
    names.map((name) => [
      name,
      fmt(bytes[name]),
      fmt(Math.min(...samples[name])),
      fmt(Math.max(...samples[name])),
      (bytes[name] / bytes.floor).toFixed(2),
    ]),
  );
  printTarget("SDK / floor", loaded.sdk ? bytes.sdk / bytes.floor : null, "<=", 1.1);
  for (const problem of [...new Set(problems)]) console.log(`! ${problem}`);
  console.log(`RESULT ${JSON.stringify({ bench: "memory", events: EVENTS, bytesPerEvent: bytes, problems })}`);
}

const subject = stringArg("subject", null);
if (subject !== null) await measureOne(subject, stringArg("sink", "http://127.0.0.1:9"));
else await main();
process.exit(0);
