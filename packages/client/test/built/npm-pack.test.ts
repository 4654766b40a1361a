import { execFile } from "node:child_process";
import { cpSync, existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { builtinModules } from "node:module";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { INSTANCE_ID, fields } from "../helpers/fixtures.js";
import { CLIENT_DIR, REPO_ROOT } from "../helpers/dist.js";

const run = promisify(execFile);
const npm = process.platform === "win32" ? "npm.cmd" : "npm";

describe("npm pack of @mosaicstack/telemetry-client", () => {
  let dir: string;
  let tarball: string;
  let unpacked: string;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "mosaic-pack-"));
    // As a fresh clone has it: the sources and no dist/, so `prepack` must build. A copy, so the
    // build does not replace the dist/ that other test files run against meanwhile.
    const clone = join(dir, "clone");
    const client = join(clone, "packages/client");
    for (const entry of ["src", "package.json", "README.md", "tsconfig.json", "tsconfig.build.json", "tsup.config.ts"]) {
      cpSync(join(CLIENT_DIR, entry), join(client, entry), { recursive: true });
    }
    cpSync(join(REPO_ROOT, "packages/protocol/src"), join(clone, "packages/protocol/src"), { recursive: true });
    cpSync(join(REPO_ROOT, "tsconfig.base.json"), join(clone, "tsconfig.base.json"));
    symlinkSync(join(REPO_ROOT, "node_modules"), join(clone, "node_modules"), "dir");
    expect(existsSync(join(client, "dist"))).toBe(false);
    await run(npm, ["pack", "--pack-destination", dir, "--silent"], { cwd: client });
    const name = readdirSync(dir).find((file) => file.endsWith(".tgz"));
    if (name === undefined) throw new Error("npm pack wrote no tarball");
    tarball = join(dir, name);
    unpacked = join(dir, "unpacked");
    await run("mkdir", ["-p", unpacked]);
    await run("tar", ["-xzf", tarball, "-C", unpacked]);
  }, 120_000);
  afterAll(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  it("ships an exports map, types, engines node >=18 and no dependencies", () => {
    const manifest = JSON.parse(readFileSync(join(unpacked, "package/package.json"), "utf8")) as Record<string, unknown>;
    expect(manifest["type"]).toBe("module");
    expect(manifest["exports"]).toMatchObject({ ".": { types: "./dist/index.d.ts", import: "./dist/index.js" } });
    expect(manifest["types"]).toBe("./dist/index.d.ts");
    expect(manifest["engines"]).toEqual({ node: ">=18" });
    expect(manifest["dependencies"] ?? {}).toEqual({});
    expect(manifest["peerDependencies"]).toBeUndefined();
    const shipped = readdirSync(join(unpacked, "package/dist"));
    expect(shipped).toEqual(expect.arrayContaining(["index.js", "index.d.ts"]));
  });

  it("neither the JS nor the declarations import the protocol package (it is inlined)", () => {
    for (const file of ["index.js", "index.d.ts"]) {
      const text = readFileSync(join(unpacked, "package/dist", file), "utf8");
      expect(text).not.toContain("@mosaicstack/telemetry-protocol");
      // Only Node built-ins are imported.
      const imports = [...text.matchAll(/^import .* from ['"]([^'"]+)['"]/gm)].map((m) => m[1] as string);
      expect(imports.filter((specifier) => !builtinModules.includes(specifier.replace(/^node:/, "")))).toEqual([]);
    }
  });

  it("installs offline into a fresh folder and works from an .mjs script (dryRun)", async () => {
    const app = join(dir, "app");
    await run("mkdir", ["-p", app]);
    writeFileSync(join(app, "package.json"), JSON.stringify({ name: "app", private: true, version: "1.0.0" }));
    await run(npm, ["install", tarball, "--no-audit", "--no-fund", "--offline", "--silent"], { cwd: app });
    writeFileSync(
      join(app, "main.mjs"),
      `import { TelemetryClient, TaskType } from "@mosaicstack/telemetry-client";
const errors = [];
const client = new TelemetryClient({ serverUrl: "https://tel-api.example", apiKey: "unused", instanceId: ${JSON.stringify(INSTANCE_ID)}, dryRun: true, onError: (e) => errors.push(e.message) });
client.track(client.eventBuilder.build({ ...${JSON.stringify(fields())}, task_type: TaskType.TESTING }));
const result = await client.stop();
console.log(JSON.stringify({ result, errors }));
`,
    );
    const { stdout } = await run(process.execPath, ["main.mjs"], { cwd: app });
    expect(JSON.parse(stdout)).toEqual({ result: { sent: 1, dropped: 0, pending: 0, reason: null }, errors: [] });
  }, 60_000);
});
