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

/** Runs a script with node; resolves with its exit code, or "timeout" after `limitMs` (then kills it). */
function run(script: string, limitMs: number): Promise<number | null | "timeout"> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [script], { stdio: "ignore" });
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      resolve("timeout");
    }, limitMs);
    child.on("exit", (code) => {
      clearTimeout(timer);
      resolve(code);
    });
  });
}

describe("the built SDK in a child process", () => {
  it("a started client that is never stopped does not keep the process alive", async () => {
    const script = join(dir, "never-stopped.mjs");
    writeFileSync(
      script,
      `import { TelemetryClient } from ${JSON.stringify(pathToFileURL(DIST_ENTRY).href)};
const client = new TelemetryClient({
  serverUrl: ${JSON.stringify(server.url)},
  apiKey: ${JSON.stringify(API_KEY)},
  instanceId: ${JSON.stringify(INSTANCE_ID)},
  submitIntervalMs: 60000,
});
client.start();
for (let i = 0; i < 50; i++) client.track(client.eventBuilder.build(${JSON.stringify(fields())}));
`,
    );
    // A liveness bound, not a speed assertion: the script should exit at once.
    expect(await run(script, 10_000)).toBe(0);
  });
});
