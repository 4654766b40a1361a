import { copyFileSync, mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import type { Command, Context } from "../command.js";

/** The Claude Code events the hook is installed for: a session per event, or (--per-turn) a turn per event. */
export const HOOK_EVENTS = { session: ["SessionStart", "SessionEnd"], turn: ["SessionStart", "Stop"] } as const;
/** How the CLI recognises its own hook entries (install is idempotent, uninstall removes only them). */
const OURS = /(^|\s)claude-code hook(\s|$)/;

interface HookCommand {
  type?: string;
  command?: string;
  [other: string]: unknown;
}
interface HookGroup {
  matcher?: string;
  hooks?: HookCommand[];
  [other: string]: unknown;
}
type Settings = Record<string, unknown> & { hooks?: Record<string, HookGroup[]> };

/** Where the settings live: the user's, or the project's with --project. */
function settingsPath(project: boolean, { io, paths }: Context): string {
  return project ? join(io.cwd, ".claude", "settings.json") : join(paths.home, ".claude", "settings.json");
}

/**
 * The command written into the settings: this very script run by this very Node.js (absolute
 * paths), so the hook does not depend on PATH or pay for npx; `--command` replaces it.
 */
function defaultCommand(): string {
  const script = fileURLToPath(import.meta.url);
  return `"${process.execPath}" "${script}" claude-code hook`;
}

function readSettings(file: string): { settings: Settings; text: string | null } {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch {
    return { settings: {}, text: null };
  }
  const parsed = JSON.parse(text) as unknown;
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) throw new Error(`${file} is not a JSON object`);
  return { settings: parsed as Settings, text };
}

/** Our entries removed from every event; groups left empty are removed; every other key kept as it was. */
function withoutOurs(settings: Settings): Settings {
  if (settings.hooks === undefined) return settings;
  const hooks: Record<string, HookGroup[]> = {};
  for (const [event, groups] of Object.entries(settings.hooks)) {
    if (!Array.isArray(groups)) {
      hooks[event] = groups;
      continue;
    }
    const kept = groups
      .map((group) => (Array.isArray(group.hooks) ? { ...group, hooks: group.hooks.filter((h) => !(typeof h.command === "string" && OURS.test(h.command))) } : group))
      .filter((group) => !Array.isArray(group.hooks) || group.hooks.length > 0);
    if (kept.length > 0) hooks[event] = kept;
  }
  const next: Settings = { ...settings, hooks };
  if (Object.keys(hooks).length === 0) delete next.hooks;
  return next;
}

function withOurs(settings: Settings, command: string, unit: "session" | "turn"): Settings {
  const base = withoutOurs(settings);
  const hooks = { ...(base.hooks ?? {}) };
  for (const event of HOOK_EVENTS[unit]) {
    hooks[event] = [...(hooks[event] ?? []), { hooks: [{ type: "command", command }] }];
  }
  return { ...base, hooks };
}

/** Writes the file when it changes, after copying the old one to `<file>.bak`; returns whether it changed. */
function save(file: string, before: string | null, settings: Settings): boolean {
  const text = JSON.stringify(settings, null, 2) + "\n";
  if (before !== null && JSON.stringify(JSON.parse(before)) === JSON.stringify(settings)) return false;
  mkdirSync(dirname(file), { recursive: true });
  if (before !== null) copyFileSync(file, `${file}.bak`);
  const temporary = `${file}.${process.pid}.tmp`;
  writeFileSync(temporary, text);
  renameSync(temporary, file);
  return true;
}

export const claudeInstall: Command = {
  path: "claude-code install",
  args: "[--project] [--per-turn] [--command CMD]",
  summary: "Add the hooks to ~/.claude/settings.json (or the project's, with --project)",
  details:
    "Adds SessionStart and SessionEnd hooks running `mosaic claude-code hook`: one event per session.\n" +
    "With --per-turn, SessionStart and Stop: one event per turn (prompt to answer). Idempotent (running\n" +
    "it again with the other choice switches); every other setting and hook is kept; the file it\n" +
    "changes is copied to settings.json.bak first.",
  options: [
    { name: "project", type: "boolean", description: "the project's .claude/settings.json instead of the user's" },
    { name: "per-turn", type: "boolean", description: "report each turn (Stop) instead of each session (SessionEnd)" },
    { name: "command", type: "string", value: "CMD", description: "the hook command (default: this node and this script, absolute paths)" },
  ],
  maxPositionals: 0,
  async run(args, context) {
    const file = settingsPath(args.options["project"] === true, context);
    try {
      const { settings, text } = readSettings(file);
      const command = typeof args.options["command"] === "string" ? `${args.options["command"]}` : defaultCommand();
      const changed = save(file, text, withOurs(settings, command, args.options["per-turn"] === true ? "turn" : "session"));
      context.io.stdout(changed ? `hooks installed in ${file}${text !== null ? ` (previous file kept as ${file}.bak)` : ""}\n` : `hooks already installed in ${file}\n`);
      return 0;
    } catch (error) {
      context.io.stderr(`mosaic: ${(error as Error).message}\n`);
      return 1;
    }
  },
};

export const claudeUninstall: Command = {
  path: "claude-code uninstall",
  args: "[--project]",
  summary: "Remove the hooks that install added, and nothing else",
  details: "",
  options: [{ name: "project", type: "boolean", description: "the project's .claude/settings.json instead of the user's" }],
  maxPositionals: 0,
  async run(args, context) {
    const file = settingsPath(args.options["project"] === true, context);
    try {
      const { settings, text } = readSettings(file);
      const changed = text !== null && save(file, text, withoutOurs(settings));
      context.io.stdout(changed ? `hooks removed from ${file} (previous file kept as ${file}.bak)\n` : `no mosaic hooks in ${file}\n`);
      return 0;
    } catch (error) {
      context.io.stderr(`mosaic: ${(error as Error).message}\n`);
      return 1;
    }
  },
};
