import { execFile } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { API_KEY, INSTANCE_ID } from "../helpers/fixtures.js";
import { REPO_ROOT, ensureBuilt } from "../helpers/dist.js";
import { compileProject, writeReadmeProject } from "../helpers/guide-project.js";
import { LoopbackServer } from "../helpers/loopback-server.js";

const run = promisify(execFile);

// The package README's examples need nothing outside the repository, so they are checked on every clone.
describe("the client README's examples against the BUILT package", () => {
  let dir: string;
  let files: Record<string, string>;
  let server: LoopbackServer;

  beforeAll(async () => {
    ensureBuilt();
    dir = mkdtempSync(join(tmpdir(), "mosaic-readme-"));
    files = writeReadmeProject(dir);
    server = await new LoopbackServer().start();
  });
  afterAll(async () => {
    await server?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const predictionsExample = (): string => {
    const entry = Object.entries(files).find(([, text]) => text.includes("refreshPredictions("));
    if (entry === undefined) throw new Error("the README has no predictions example");
    return entry[0];
  };

  it("finds the quickstart, the Next.js singleton and instrumentation, and the predictions example", () => {
    expect(Object.keys(files)).toEqual(expect.arrayContaining(["readme/example-0.ts", "readme/lib/telemetry.ts", "readme/instrumentation.ts"]));
    expect(predictionsExample()).toMatch(/^readme\/example-\d+\.ts$/);
  });

  it("every example compiles with tsc --strict", async () => {
    const result = await compileProject(dir);
    expect(result.output).toBe("");
    expect(result.code).toBe(0);
  }, 60_000);

  it("the predictions example runs as written: one request, the cached answer printed, then the process ends", async () => {
    const tsx = resolve(REPO_ROOT, "node_modules/tsx/dist/cli.mjs");
    const before = server.requests.length;
    const { stdout } = await run(process.execPath, [tsx, predictionsExample()], {
      cwd: dir,
      env: { ...process.env, TELEMETRY_API_URL: server.url, TELEMETRY_API_KEY: API_KEY, TELEMETRY_INSTANCE_ID: INSTANCE_ID },
      timeout: 30_000,
    });
    const requests = server.requests.slice(before);
    expect(requests.map((request) => request.path)).toEqual(["/v1/predictions/batch"]);
    // The loopback server's made-up answer: median input tokens 3 x 1000, median cost 30,000 micro-dollars.
    expect(stdout).toContain("median input tokens 3000, median cost $0.03");
    expect(stdout).toContain("x1.07 low");
  }, 60_000);
});
