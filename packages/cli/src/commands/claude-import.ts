import { readdirSync } from "node:fs";
import { join } from "node:path";
import { readClaudeSession, readClaudeTurns } from "../capture/claude-session-files.js";
import type { Command } from "../command.js";
import { usageError } from "../command.js";
import { PriceTable } from "../pricing/price-table.js";
import { progressBar } from "../progress.js";
import { importSessions, parseSince, sendImported } from "./import-sessions.js";

/** The session files under a Claude Code projects folder: `<project>/<session id>.jsonl`. */
function claudeSessionFiles(root: string): string[] {
  const files: string[] = [];
  for (const project of readdirSync(root, { withFileTypes: true })) {
    if (!project.isDirectory()) continue;
    for (const entry of readdirSync(join(root, project.name), { withFileTypes: true })) {
      if (entry.isFile() && entry.name.endsWith(".jsonl")) files.push(join(root, project.name, entry.name));
    }
  }
  return files.sort();
}

export const claudeImport: Command = {
  path: "claude-code import",
  args: "[--since DATE] [--projects DIR] [--per-turn]",
  summary: "Report past Claude Code sessions (each once, however often it runs)",
  details:
    "Reads every session under ~/.claude/projects/. Each event id is derived from its session id\n" +
    "(a name-based UUID), so running it again stores nothing twice: the server answers duplicate.",
  options: [
    { name: "since", type: "string", value: "DATE", description: "only sessions that ended on or after DATE (YYYY-MM-DD)" },
    { name: "projects", type: "string", value: "DIR", description: "the projects folder (default ~/.claude/projects)" },
    { name: "per-turn", type: "boolean", description: "one event per turn, as the hooks installed with --per-turn report" },
  ],
  maxPositionals: 0,
  async run(args, context) {
    const since = parseSince(args.options["since"]);
    if (since !== null && typeof since === "object") return usageError(context.io, "claude-code import", since.error);
    const root = typeof args.options["projects"] === "string" ? args.options["projects"] : join(context.paths.home, ".claude", "projects");
    let files: string[];
    try {
      files = claudeSessionFiles(root);
    } catch {
      context.io.stderr(`mosaic: no Claude Code projects folder at ${root}\n`);
      return 1;
    }
    const prices = new PriceTable();
    const bar = progressBar(context.io, "reading sessions", files.length);
    const perTurn = args.options["per-turn"] === true;
    const read = perTurn ? (file: string) => readClaudeTurns(file, prices) : (file: string) => [readClaudeSession(file, prices)];
    const events = importSessions(files, read, "claude_code", context, since, bar.tick);
    bar.end();
    return sendImported(events, context, perTurn ? "Claude Code turns" : "Claude Code sessions");
  },
};
