import { spawn } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { API_KEY, INSTANCE_ID, fields } from "../helpers/fixtures.js";
import { DIST_ENTRY, ensureBuilt } from "../helpers/dist.js";
import { LoopbackServer } from "../helpers/loopback-server.js";

let server: LoopbackServer;
let dir: string;

beforeAll(async () => {
  ensureBuilt();
  server = await new LoopbackServer().start();
  dir = mkdtempSync(join(tmpdir(), "mosaic-client-exit-"));
});
afterAll(async () => {
  await server.close();
  rmSync(dir, { recursive: true, force: true });
});

/** Runs a script with node; resolves with its exit code (or "timeout" after `limitMs`, then kills it) and its stdout. */
function runWithOutput(script: string, limitMs: number): Promise<{ code: number | null | "timeout"; stdout: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [script], { stdio: ["ignore", "pipe", "ignore"] });
    let stdout = "";
    child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString("utf8")));
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      resolve({ code: "timeout", stdout });
    }, limitMs);
    child.on("close", (code) => {
      clearTimeout(timer);
      resolve({ code, stdout });
    });
  });
}

async function run(script: string, limitMs: number): Promise<number | null | "timeout"> {
  return (await runWithOutput(script, limitMs)).code;
}

/** The head of a child script: the built SDK and a client of the loopback server with these extra options. */
function clientScript(extraOptions: string): string {
  return `import { TelemetryClient } from ${JSON.stringify(pathToFileURL(DIST_ENTRY).href)};
const client = new TelemetryClient({
  serverUrl: ${JSON.stringify(server.url)},
  apiKey: ${JSON.stringify(API_KEY)},
  instanceId: ${JSON.stringify(INSTANCE_ID)},
  ${extraOptions}
});
`;
}

describe("the built SDK in a child process", () => {
  it("a started client that is never stopped does not keep the process alive", async () => {
    const script = join(dir, "never-stopped.mjs");
    writeFileSync(
      script,
      `${clientScript("submitIntervalMs: 60000,")}client.start();
for (let i = 0; i < 50; i++) client.track(client.eventBuilder.build(${JSON.stringify(fields())}));
`,
    );
    // A liveness bound, not a speed assertion: the script should exit at once.
    expect(await run(script, 10_000)).toBe(0);
  });

  // The retry sleeps are unref'd (a pending retry must not hold the process), so without a timer
  // that holds the process while stop() runs, an awaited stop() during a backoff never settled:
  // Node exited with code 13 (unsettled top-level await) and the code after it never ran.
  it("an awaited stop() during a retry backoff resolves, within stopTimeoutMs, and the code after it runs", async () => {
    server.handler = () => ({ kind: "status", status: 503 });
    try {
      const script = join(dir, "stop-during-backoff.mjs");
      writeFileSync(
        script,
        `${clientScript("stopTimeoutMs: 1500,")}client.track(client.eventBuilder.build(${JSON.stringify(fields())}));
console.log(JSON.stringify(await client.stop()));
`,
      );
      const { code, stdout } = await runWithOutput(script, 20_000);
      expect(code).toBe(0);
      expect(JSON.parse(stdout.trim())).toEqual({ sent: 0, dropped: 0, pending: 1 });
    } finally {
      server.handler = undefined;
    }
  });
});
