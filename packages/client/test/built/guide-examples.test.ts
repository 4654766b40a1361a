import { execFile } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { API_KEY, INSTANCE_ID } from "../helpers/fixtures.js";
import { GUIDE_PATH, REPO_ROOT, ensureBuilt } from "../helpers/dist.js";
import { compileProject, guideBlocks, guideExists, writeGuideProject } from "../helpers/guide-project.js";
import { LoopbackServer } from "../helpers/loopback-server.js";

const run = promisify(execFile);
const present = guideExists();
const skipReason = present ? "" : ` (skipped: ${GUIDE_PATH} not found; the contract lives in ../shared)`;
if (!present) console.warn(`integration guide examples skipped: ${GUIDE_PATH} not found`);

describe.skipIf(!present)(`integration-guide.md examples against the BUILT package${skipReason}`, () => {
  let dir: string;
  let files: Record<string, string>;
  let server: LoopbackServer;

  beforeAll(async () => {
    ensureBuilt();
    dir = mkdtempSync(join(tmpdir(), "mosaic-guide-"));
    files = writeGuideProject(dir);
    server = await new LoopbackServer().start();
  });
  afterAll(async () => {
    await server?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("finds every example: the Next.js, Node.js service, predictions, configuration and error handling ones", () => {
    expect(guideBlocks().length).toBeGreaterThanOrEqual(11);
    expect(Object.keys(files)).toEqual(
      expect.arrayContaining([
        "lib/telemetry.ts",
        "app/api/task-complete/route.ts",
        "instrumentation.ts",
        "src/telemetry.ts",
        "src/task-runner.ts",
        "src/main.ts",
        "readme/example-0.ts",
      ]),
    );
  });

  it("every example (and the README quickstart) compiles with tsc --strict", async () => {
    const result = await compileProject(dir);
    expect(result.output).toBe("");
    expect(result.code).toBe(0);
  }, 60_000);

  it("the Node.js service example runs: track, stop, the server got the event", async () => {
    // A mirrored copy of the guide's task runner that also calls it and stops, as src/main.ts would on SIGTERM.
    writeFileSync(
      join(dir, "src/run-task.ts"),
      `${files["src/task-runner.ts"]}\nawait runTask();\nconsole.log(JSON.stringify(await telemetry.stop()));\n`,
    );
    const tsx = resolve(REPO_ROOT, "node_modules/tsx/dist/cli.mjs");
    const { stdout } = await run(process.execPath, [tsx, "src/run-task.ts"], {
      cwd: dir,
      env: { ...process.env, TELEMETRY_API_URL: server.url, TELEMETRY_API_KEY: API_KEY, TELEMETRY_INSTANCE_ID: INSTANCE_ID },
    });
    expect(JSON.parse(stdout.trim())).toEqual({ sent: 1, dropped: 0, pending: 0, reason: null });
    expect(server.requests).toHaveLength(1);
    const event = (server.requests[0]!.body as { events: Record<string, unknown>[] }).events[0]!;
    expect(event).toMatchObject({
      instance_id: INSTANCE_ID,
      schema_version: "1.0",
      model: "claude-sonnet-4-5-20250929",
      repo_size_category: "medium",
      quality_gates_run: ["build", "lint", "test", "typecheck"],
    });
    expect(server.requests[0]!.headers["authorization"]).toBe(`Bearer ${API_KEY}`);
  }, 60_000);

  it("the Node.js service example as written (it tracks and ends, no stop()) delivers its event", async () => {
    writeFileSync(join(dir, "src/run-task-only.ts"), `${files["src/task-runner.ts"]}\nawait runTask();\n`);
    const tsx = resolve(REPO_ROOT, "node_modules/tsx/dist/cli.mjs");
    const before = server.requests.length;
    await run(process.execPath, [tsx, "src/run-task-only.ts"], {
      cwd: dir,
      env: { ...process.env, TELEMETRY_API_URL: server.url, TELEMETRY_API_KEY: API_KEY, TELEMETRY_INSTANCE_ID: INSTANCE_ID },
    });
    expect(server.requests.slice(before).flatMap((r) => r.eventIds)).toHaveLength(1);
  }, 60_000);
});
