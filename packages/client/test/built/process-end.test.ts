import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { Worker } from "node:worker_threads";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { API_KEY, INSTANCE_ID, closedPortUrl, fields } from "../helpers/fixtures.js";
import { DIST_ENTRY, ensureBuilt } from "../helpers/dist.js";
import { LoopbackServer } from "../helpers/loopback-server.js";

// Issue 10's faults where a process must end: the built SDK in child processes against a
// loopback server. Time bounds here are liveness bounds (a hung child is killed), not speed.
let server: LoopbackServer;
let dir: string;
let scriptCount = 0;

beforeAll(async () => {
  ensureBuilt();
  server = await new LoopbackServer().start();
  dir = mkdtempSync(join(tmpdir(), "mosaic-client-exit-"));
});
afterEach(() => {
  server.reset();
});
afterAll(async () => {
  await server.close();
  rmSync(dir, { recursive: true, force: true });
});

/** A child script: the built SDK, a client with these extra options, its errors collected in `errors`. */
function script(body: string, extraOptions = "", serverUrl = server.url): string {
  const path = join(dir, `script-${scriptCount++}.mjs`);
  writeFileSync(
    path,
    `import { TelemetryClient } from ${JSON.stringify(pathToFileURL(DIST_ENTRY).href)};
const errors = [];
process.on("exit", () => console.log("ERRORS " + JSON.stringify(errors.map((e) => e.code))));
const client = new TelemetryClient({
  serverUrl: ${JSON.stringify(serverUrl)},
  apiKey: ${JSON.stringify(API_KEY)},
  instanceId: ${JSON.stringify(INSTANCE_ID)},
  onError: (e) => errors.push(e),
  ${extraOptions}
});
const fields = ${JSON.stringify(fields())};
function track(n) {
  const ids = [];
  for (let i = 0; i < n; i++) { const e = client.eventBuilder.build(fields); client.track(e); ids.push(e.event_id); }
  return ids;
}
${body}
`,
  );
  return path;
}

interface Child {
  process: ChildProcess;
  /** Resolves with the first stdout line that starts with `prefix` (without it). */
  line(prefix: string): Promise<string>;
  /** Resolves when the child ends: its exit code ("timeout" when killed after `limitMs`) and stdout. */
  done: Promise<{ code: number | null | "timeout"; stdout: string }>;
}

function start(path: string, limitMs = 20_000, nodeArgs: string[] = []): Child {
  const child = spawn(process.execPath, [...nodeArgs, path], { stdio: ["pipe", "pipe", "inherit"] });
  let stdout = "";
  const waiters: (() => void)[] = [];
  child.stdout!.on("data", (chunk: Buffer) => {
    stdout += chunk.toString("utf8");
    for (const waiter of waiters.splice(0)) waiter();
  });
  const done = new Promise<{ code: number | null | "timeout"; stdout: string }>((resolve) => {
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      resolve({ code: "timeout", stdout });
    }, limitMs);
    child.on("close", (code) => {
      clearTimeout(timer);
      resolve({ code, stdout });
    });
  });
  const line = (prefix: string): Promise<string> =>
    new Promise((resolve, reject) => {
      const check = (): void => {
        // Complete lines only: a long line may arrive in several chunks.
        const found = stdout.split("\n").slice(0, -1).find((l) => l.startsWith(prefix));
        if (found !== undefined) return resolve(found.slice(prefix.length));
        if (child.exitCode !== null || child.signalCode !== null) return reject(new Error(`child ended without "${prefix}": ${stdout}`));
        waiters.push(check);
      };
      child.on("close", check);
      check();
    });
  return { process: child, line, done };
}

function lineOf(stdout: string, prefix: string): string {
  const found = stdout.split("\n").find((l) => l.startsWith(prefix));
  if (found === undefined) throw new Error(`no "${prefix}" line in: ${stdout}`);
  return found.slice(prefix.length);
}

/** Kills the child with SIGKILL and waits until it is gone. */
async function kill(child: Child): Promise<void> {
  child.process.kill("SIGKILL");
  await child.done;
}

/** Every id stored by the loopback server exactly once, and no other. */
function expectStoredExactly(ids: string[]): void {
  expect(new Set(ids).size).toBe(ids.length);
  expect(server.stored().size).toBe(ids.length);
  for (const id of ids) expect(server.stored().has(id), id).toBe(true);
}

describe("process end without stop()", () => {
  it("a script that tracks 50 events and ends without stop() delivers them all, exits 0, reports nothing", async () => {
    const child = start(script(`console.log("IDS " + JSON.stringify(track(50)));`, "submitIntervalMs: 60000,"));
    const { code, stdout } = await child.done;
    expect(code).toBe(0);
    expectStoredExactly(JSON.parse(lineOf(stdout, "IDS ")) as string[]);
    expect(lineOf(stdout, "ERRORS ")).toBe("[]");
  });

  it("a batch waiting in a background send's retry backoff is sent at process end too", async () => {
    let first = true;
    server.handler = () => {
      if (!first) return undefined;
      first = false;
      return { kind: "status", status: 503 };
    };
    // The background send gets a 503 and sleeps (unref'd) before its retry; then the script has nothing left to do.
    const child = start(script(`console.log("IDS " + JSON.stringify(track(3))); client.start();
setTimeout(() => {}, 400);`, "submitIntervalMs: 100, maxRetries: 5,"));
    const { code, stdout } = await child.done;
    expect(code).toBe(0);
    expectStoredExactly(JSON.parse(lineOf(stdout, "IDS ")) as string[]);
    expect(JSON.parse(lineOf(stdout, "ERRORS "))).toEqual(["http_error"]);
  });

  it("an event the app's own beforeExit handler tracks is sent too", async () => {
    const { code, stdout } = await start(
      script(`const ids = track(2);
process.on("beforeExit", () => { if (ids.length === 2) { ids.push(...track(1)); console.log("IDS " + JSON.stringify(ids)); } });`),
    ).done;
    expect(code).toBe(0);
    expectStoredExactly(JSON.parse(lineOf(stdout, "IDS ")) as string[]);
  });

  it("a started client with nothing queued does not keep the process alive", async () => {
    const { code } = await start(script(`client.start();`, "submitIntervalMs: 60000,"), 10_000).done;
    expect(code).toBe(0);
  });

  it("with the far end down, the send at process end gives up at the stop deadline, reports it, and the process exits", async () => {
    const { code, stdout } = await start(script(`track(4);`, "stopTimeoutMs: 1500,", await closedPortUrl())).done;
    expect(code).toBe(0);
    expect(JSON.parse(lineOf(stdout, "ERRORS "))).toEqual(["network_error", "events_pending"]);
  });

  it("sendOnExit: false leaves the events (the documented opt-out)", async () => {
    const { code } = await start(script(`track(3);`, "sendOnExit: false,")).done;
    expect(code).toBe(0);
    expect(server.requests).toHaveLength(0);
  });
});

describe("awaited flush() and stop() always settle", () => {
  it("await flush() with the far end down resolves after its retries, and the next line runs", async () => {
    const { code, stdout } = await start(
      script(`track(3);
const result = await client.flush();
console.log("FLUSH " + JSON.stringify(result));`, "maxRetries: 1, stopTimeoutMs: 500,", await closedPortUrl()),
    ).done;
    expect(code).toBe(0);
    expect(JSON.parse(lineOf(stdout, "FLUSH "))).toEqual({ sent: 0, pending: 3 });
    // Then the process end tried once more, within its deadline, and said what was left.
    expect(JSON.parse(lineOf(stdout, "ERRORS "))).toEqual(["network_error", "events_pending"]);
  });

  it("await refreshPredictions() with the far end down resolves, and the next line runs", async () => {
    const { code, stdout } = await start(
      script(`await client.refreshPredictions([{ task_type: "testing", model: "m", provider: "openai", complexity: "low" }]);
console.log("AFTER " + JSON.stringify(client.getStats().retried));`, "maxRetries: 1,", await closedPortUrl()),
    ).done;
    expect(code).toBe(0);
    expect(lineOf(stdout, "AFTER ")).toBe("1");
  });

  // The retry sleeps are unref'd (a pending retry must not hold the process): without the timer
  // stop() holds, an awaited stop() during a backoff never settled and Node exited with code 13.
  it("an awaited stop() during a retry backoff resolves at stopTimeoutMs, with the reason, and the code after it runs", async () => {
    server.handler = () => ({ kind: "status", status: 503 });
    const { code, stdout } = await start(script(`track(1);
console.log("STOP " + JSON.stringify(await client.stop()));`, "stopTimeoutMs: 1500,")).done;
    expect(code).toBe(0);
    const result = JSON.parse(lineOf(stdout, "STOP ")) as Record<string, unknown>;
    expect(result).toMatchObject({ sent: 0, dropped: 0, pending: 1 });
    expect(result["reason"]).toContain("last failure: HTTP 503");
  });
});

describe("the durable spool across processes", () => {
  /** A script that tracks `n` events in turns of 100, prints their ids, then idles until killed. */
  const trackAndIdle = (n: number): string => `const ids = [];
for (let i = 0; i < ${n}; i += 100) { ids.push(...track(Math.min(100, ${n} - i))); await new Promise((r) => setImmediate(r)); }
console.log("IDS " + JSON.stringify(ids));
setInterval(() => {}, 1000);`;
  /** A script that takes over the folder and stops (sending what it holds), printing its stats. */
  const takeOverAndStop = `const stats = client.getStats();
const result = await client.stop();
console.log("RESULT " + JSON.stringify({ ...result, recovered: stats.recovered, skipped: stats.spoolSkipped }));`;

  function spoolDir(): string {
    return mkdtempSync(join(dir, "spool-"));
  }

  it("SIGKILL with 2,000 events spooled: a new process delivers every one exactly once, same ids", async () => {
    const folder = spoolDir();
    const options = `spoolDir: ${JSON.stringify(folder)}, submitIntervalMs: 600000,`;
    const first = start(script(trackAndIdle(2_000), options));
    const ids = JSON.parse(await first.line("IDS ")) as string[];
    await kill(first);
    expect(server.requests).toHaveLength(0);

    const { code, stdout } = await start(script(takeOverAndStop, options)).done;
    expect(code).toBe(0);
    expect(JSON.parse(lineOf(stdout, "RESULT "))).toMatchObject({ sent: 2_000, pending: 0, recovered: 2_000, skipped: 0 });
    expectStoredExactly(ids);
    // A clean stop with nothing left leaves an empty folder.
    expect(readdirSync(folder)).toEqual([]);
  }, 60_000);

  it("two processes on one folder, one killed: its leftovers are claimed by exactly one of two racing survivors, the live one's are not", async () => {
    const folder = spoolDir();
    const options = `spoolDir: ${JSON.stringify(folder)}, submitIntervalMs: 600000, sendOnExit: false,`;
    const killed = start(script(trackAndIdle(100), options));
    const live = start(script(`${trackAndIdle(100).replace("setInterval(() => {}, 1000);", "")}
process.stdin.once("data", async () => { console.log("LIVE " + JSON.stringify(await client.stop())); process.exit(0); });`, options));
    const killedIds = JSON.parse(await killed.line("IDS ")) as string[];
    const liveIds = JSON.parse(await live.line("IDS ")) as string[];
    await kill(killed);

    const [c, d] = await Promise.all([start(script(takeOverAndStop, options)).done, start(script(takeOverAndStop, options)).done]);
    const results = [c, d].map((r) => JSON.parse(lineOf(r.stdout, "RESULT ")) as { recovered: number; sent: number });
    expect(results.map((r) => r.recovered).sort()).toEqual([0, 100]);
    expect(results.reduce((sum, r) => sum + r.sent, 0)).toBe(100);

    live.process.stdin!.write("stop\n");
    const liveResult = JSON.parse(await live.line("LIVE ")) as { sent: number };
    expect(liveResult.sent).toBe(100);
    await live.done;
    expectStoredExactly([...killedIds, ...liveIds]);
  }, 60_000);

  // Node's permission model refuses every file write of the child: a write the SDK attempted
  // would throw inside it and reach onError. With a spool the same child reports spool_error.
  const WRITES_DENIED = ["--experimental-permission", "--allow-fs-read=*", "--no-warnings"];

  it("without spoolDir nothing touches the disk (file writes denied to the process: no error, all sent)", async () => {
    const { code, stdout } = await start(script(`console.log("IDS " + JSON.stringify(track(20)));
console.log("STOP " + JSON.stringify(await client.stop()));`), 20_000, WRITES_DENIED).done;
    expect(code).toBe(0);
    expect(JSON.parse(lineOf(stdout, "STOP "))).toMatchObject({ sent: 20, pending: 0 });
    expect(lineOf(stdout, "ERRORS ")).toBe("[]");
    expectStoredExactly(JSON.parse(lineOf(stdout, "IDS ")) as string[]);
  });

  it("with spoolDir under the same denial the spool is reported unusable and the events still go", async () => {
    const { code, stdout } = await start(script(`track(2); await client.stop();`, `spoolDir: ${JSON.stringify(spoolDir())},`), 20_000, WRITES_DENIED).done;
    expect(code).toBe(0);
    expect(JSON.parse(lineOf(stdout, "ERRORS "))).toEqual(["spool_error"]);
    expect(server.stored().size).toBe(2);
  });

  it("a worker thread (same pid) does not take over the main thread's open spool file", async () => {
    const folder = spoolDir();
    const { TelemetryClient } = (await import(pathToFileURL(DIST_ENTRY).href)) as typeof import("../../src/index.js");
    const main = new TelemetryClient({ serverUrl: server.url, apiKey: API_KEY, instanceId: INSTANCE_ID, spoolDir: folder, sendOnExit: false });
    const ids = Array.from({ length: 5 }, () => {
      const event = main.eventBuilder.build(fields());
      main.track(event);
      return event.event_id;
    });
    await new Promise((resolve) => setImmediate(resolve));
    const worker = new Worker(
      `import { TelemetryClient } from ${JSON.stringify(pathToFileURL(DIST_ENTRY).href)};
import { parentPort } from "node:worker_threads";
const client = new TelemetryClient({ serverUrl: ${JSON.stringify(server.url)}, apiKey: ${JSON.stringify(API_KEY)}, instanceId: ${JSON.stringify(INSTANCE_ID)}, spoolDir: ${JSON.stringify(folder)}, sendOnExit: false });
const recovered = client.getStats().recovered;
await client.stop();
parentPort.postMessage(recovered);`,
      { eval: true, type: "module" } as never,
    );
    const recovered = await new Promise((resolve, reject) => {
      worker.once("message", resolve);
      worker.once("error", reject);
    });
    expect(recovered).toBe(0);
    expect(await main.stop()).toMatchObject({ sent: 5, pending: 0 });
    expectStoredExactly(ids);
  });

  it("a corrupt record and a torn tail are skipped and counted; every good event is delivered", async () => {
    const folder = spoolDir();
    const options = `spoolDir: ${JSON.stringify(folder)}, submitIntervalMs: 600000,`;
    const first = start(script(trackAndIdle(20), options));
    const ids = JSON.parse(await first.line("IDS ")) as string[];
    await kill(first);
    const [file] = readdirSync(folder);
    const path = join(folder, file!);
    const lines = readFileSync(path, "utf8").split("\n");
    // Damage the 6th event's record inside its JSON (the checksum no longer holds)...
    const damaged = lines.findIndex((l) => l.includes(ids[5]!));
    lines[damaged] = lines[damaged]!.replace("claude-sonnet", "claude-sonnft");
    // ...and leave half a record at the end, as a write cut by a crash would.
    const torn = lines[0]!.slice(0, Math.floor(lines[0]!.length / 2));
    writeFileSync(path, `${lines.join("\n")}${torn}`);

    const { code, stdout } = await start(script(takeOverAndStop, options)).done;
    expect(code).toBe(0);
    const result = JSON.parse(lineOf(stdout, "RESULT ")) as { recovered: number; skipped: number; sent: number };
    expect(result).toMatchObject({ recovered: 19, sent: 19, skipped: 2 });
    expectStoredExactly(ids.filter((_, i) => i !== 5));
  }, 60_000);
});
