import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { runCli, tempHome, type TempHome } from "./helpers/run-cli.js";

/** A settings file as a user may have it: other settings, another tool's hooks on the same events. */
const OTHER = {
  model: "opus",
  permissions: { allow: ["Bash(npm test)"] },
  hooks: {
    SessionStart: [{ matcher: "startup", hooks: [{ type: "command", command: "echo other-start" }] }],
    PreToolUse: [{ matcher: "Bash", hooks: [{ type: "command", command: "/usr/local/bin/guard" }] }],
  },
};

describe("mosaic claude-code install / uninstall", () => {
  let temp: TempHome;
  let settings: string;
  beforeEach(() => {
    temp = tempHome();
    settings = join(temp.home, ".claude", "settings.json");
    mkdirSync(join(temp.home, ".claude"), { recursive: true });
    writeFileSync(settings, JSON.stringify(OTHER, null, 2));
  });
  afterEach(() => temp.cleanup());

  const read = (file = settings): Record<string, unknown> & { hooks: Record<string, { hooks: { command: string }[] }[]> } => JSON.parse(readFileSync(file, "utf8"));

  it("adds SessionStart and SessionEnd hooks, keeps everything else, backs the file up, and is idempotent", async () => {
    const first = await runCli(["claude-code", "install", "--command", "mosaic claude-code hook"], { env: temp.env });
    expect(first.code).toBe(0);
    expect(first.stdout).toContain("hooks installed");
    const after = read();
    expect(after["model"]).toBe("opus");
    expect(after["permissions"]).toEqual(OTHER.permissions);
    expect(after.hooks["PreToolUse"]).toEqual(OTHER.hooks.PreToolUse);
    expect(after.hooks["SessionStart"]).toEqual([...OTHER.hooks.SessionStart, { hooks: [{ type: "command", command: "mosaic claude-code hook" }] }]);
    expect(after.hooks["SessionEnd"]).toEqual([{ hooks: [{ type: "command", command: "mosaic claude-code hook" }] }]);
    expect(JSON.parse(readFileSync(`${settings}.bak`, "utf8"))).toEqual(OTHER);

    const second = await runCli(["claude-code", "install", "--command", "mosaic claude-code hook"], { env: temp.env });
    expect(second.stdout).toContain("already installed");
    expect(read()).toEqual(after);

    const removed = await runCli(["claude-code", "uninstall"], { env: temp.env });
    expect(removed.code).toBe(0);
    expect(read()).toEqual(OTHER);
    expect((await runCli(["claude-code", "uninstall"], { env: temp.env })).stdout).toContain("no mosaic hooks");
  });

  it("by default writes an absolute command that runs this CLI, and --project writes the project's file", async () => {
    const project = join(temp.home, "work");
    mkdirSync(project);
    const run = await runCli(["claude-code", "install", "--project"], { env: temp.env, cwd: project });
    expect(run.code).toBe(0);
    const file = join(project, ".claude", "settings.json");
    const command = read(file).hooks["SessionEnd"]?.[0]?.hooks[0]?.command ?? "";
    expect(command).toMatch(/^".+node.*" ".+main\.js" claude-code hook$/);
    expect(existsSync(`${file}.bak`)).toBe(false); // there was no file to back up
    expect(read()).toEqual(OTHER); // the user's file untouched
  });

  it("refuses a settings file that is not JSON, and leaves it alone", async () => {
    writeFileSync(settings, "{ not json");
    const run = await runCli(["claude-code", "install"], { env: temp.env });
    expect(run.code).toBe(1);
    expect(readFileSync(settings, "utf8")).toBe("{ not json");
  });

  it("--per-turn installs Stop instead of SessionEnd, and installing again without it switches back", async () => {
    await runCli(["claude-code", "install", "--per-turn", "--command", "mosaic claude-code hook"], { env: temp.env });
    expect(Object.keys(read().hooks).sort()).toEqual(["PreToolUse", "SessionStart", "Stop"]);
    await runCli(["claude-code", "install", "--command", "mosaic claude-code hook"], { env: temp.env });
    expect(Object.keys(read().hooks).sort()).toEqual(["PreToolUse", "SessionEnd", "SessionStart"]);
    expect(read().hooks["SessionStart"]).toHaveLength(2);
  });
});
