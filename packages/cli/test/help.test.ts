import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { COMMANDS } from "../src/cli.js";
import { runCli, tempHome } from "./helpers/run-cli.js";

const readme = readFileSync(fileURLToPath(new URL("../README.md", import.meta.url)), "utf8");

describe("mosaic --help and the README", () => {
  it("the README's Commands block is exactly what `mosaic --help` prints", async () => {
    const temp = tempHome();
    try {
      const run = await runCli(["--help"], { env: temp.env });
      expect(run.code).toBe(0);
      const block = /## Commands\n[\s\S]*?```text\n([\s\S]*?)```/.exec(readme)?.[1];
      expect(block).toBe(run.stdout);
    } finally {
      temp.cleanup();
    }
  });

  it("the README's table has a row for every command, and every command answers --help", async () => {
    const temp = tempHome();
    try {
      for (const command of COMMANDS) {
        expect(readme).toContain(`| \`${command.path}`);
        const run = await runCli([...command.path.split(" "), "--help"], { env: temp.env });
        expect(run.code).toBe(0);
        expect(run.stdout).toMatch(new RegExp(`^Usage: mosaic ${command.path}`));
      }
    } finally {
      temp.cleanup();
    }
  });

  it("refuses an unknown command by name", async () => {
    const temp = tempHome();
    try {
      expect(await runCli(["frobnicate"], { env: temp.env })).toMatchObject({ code: 2, stderr: 'mosaic: unknown command "frobnicate" (see `mosaic --help`)\n' });
      expect((await runCli(["codex", "export"], { env: temp.env })).stderr).toContain('unknown command "codex export"');
    } finally {
      temp.cleanup();
    }
  });
});
