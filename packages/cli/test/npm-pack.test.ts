import { execFile } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CLI } from "./helpers/run-cli.js";

const run = promisify(execFile);
const CLI_DIR = fileURLToPath(new URL("..", import.meta.url));
const CLIENT_DIR = fileURLToPath(new URL("../../client", import.meta.url));

/** What `npx @mosaicstack/telemetry-cli` would install: the two tarballs, offline, in a fresh folder. */
describe("npm pack of @mosaicstack/telemetry-cli", () => {
  let dir: string;
  let app: string;
  let manifest: Record<string, unknown>;

  beforeAll(async () => {
    readFileSync(CLI); // built?
    dir = mkdtempSync(join(tmpdir(), "mosaic-cli-pack-"));
    // --ignore-scripts: pack what is built (prepack would rebuild while other tests read dist/).
    for (const folder of [CLIENT_DIR, CLI_DIR]) await run("npm", ["pack", "--ignore-scripts", "--pack-destination", dir, "--silent"], { cwd: folder });
    const tarballs = readdirSync(dir).filter((file) => file.endsWith(".tgz")).map((file) => join(dir, file));
    const unpacked = join(dir, "unpacked");
    mkdirSync(unpacked);
    await run("tar", ["-xzf", tarballs.find((t) => t.includes("telemetry-cli")) as string, "-C", unpacked]);
    manifest = JSON.parse(readFileSync(join(unpacked, "package", "package.json"), "utf8")) as Record<string, unknown>;
    app = join(dir, "app");
    mkdirSync(app);
    await run("npm", ["init", "-y", "--silent"], { cwd: app });
    await run("npm", ["install", ...tarballs, "--no-audit", "--no-fund", "--offline", "--silent"], { cwd: app });
  }, 120_000);
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("has the `mosaic` binary, engines node >= 18 and the SDK as its one dependency", () => {
    expect(manifest["bin"]).toEqual({ mosaic: "./dist/main.js" });
    expect(manifest["engines"]).toEqual({ node: ">=18" });
    expect(manifest["dependencies"]).toEqual({ "@mosaicstack/telemetry-client": "0.1.0" });
  });

  it("runs from node_modules/.bin: help, and a dry-run send (the protocol and prices are inlined)", async () => {
    const mosaic = join(app, "node_modules", ".bin", "mosaic");
    const help = await run(mosaic, ["--help"], { cwd: app });
    expect(help.stdout).toContain("Usage: mosaic <command> [options]");
    const file = join(app, "none.jsonl");
    await run("sh", ["-c", `printf '{"model":"x"}\\n' > ${file}`]);
    const sent = await run(mosaic, ["send", file, "--dry-run"], { cwd: app }).catch((error: { stdout: string; code: number }) => error);
    expect(sent.stdout).toBe("0 good lines, 1 refused (dry run: nothing sent)\n");
    const installed = readdirSync(join(app, "node_modules", "@mosaicstack")).sort();
    expect(installed).toEqual(["telemetry-cli", "telemetry-client"]);
  });
});
