import { mkdirSync, readFileSync, readdirSync, statSync, writeFileSync } from "node:fs";
import { basename, join } from "node:path";
import { readCodexSession } from "../capture/codex-session.js";
import type { Command } from "../command.js";
import { usageError } from "../command.js";
import { resolveConfig } from "../config/user-config.js";
import { PriceTable } from "../pricing/price-table.js";
import { progressBar } from "../progress.js";
import { logCaptured } from "../telemetry/capture-log.js";
import { capturedEvent } from "../telemetry/captured-event.js";
import { ErrorLog } from "../telemetry/error-log.js";
import { hookTimes, openClient, requireSettings } from "../telemetry/open-client.js";
import { importSessions, parseSince, sendImported } from "./import-sessions.js";

/** Every `rollout-*.jsonl` under the sessions folder (Codex files them by YYYY/MM/DD). */
function codexSessionFiles(root: string): string[] {
  const files: string[] = [];
  const walk = (dir: string): void => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) walk(path);
      else if (entry.isFile() && entry.name.endsWith(".jsonl")) files.push(path);
    }
  };
  walk(root);
  return files.sort();
}

/** The session id in a rollout file name (`rollout-2026-11-30T10-00-00-<uuid>.jsonl`), used when the file has no session_meta. */
function idFromFileName(file: string): string {
  const match = /([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})\.jsonl$/i.exec(file);
  return match?.[1] ?? basename(file, ".jsonl");
}

function readSession(prices: PriceTable) {
  return (file: string) => [readCodexSession(readFileSync(file, "utf8"), prices, idFromFileName(file))];
}

function sessionsRoot(option: string | boolean | undefined, home: string, env: NodeJS.ProcessEnv): string {
  if (typeof option === "string") return option;
  return join(env["CODEX_HOME"] && env["CODEX_HOME"] !== "" ? env["CODEX_HOME"] : join(home, ".codex"), "sessions");
}

export const codexImport: Command = {
  path: "codex import",
  args: "[--since DATE] [--sessions DIR]",
  summary: "Report past Codex sessions (each once, however often it runs)",
  details: "Reads every rollout-*.jsonl under ~/.codex/sessions/ ($CODEX_HOME/sessions when set).",
  options: [
    { name: "since", type: "string", value: "DATE", description: "only sessions that ended on or after DATE (YYYY-MM-DD)" },
    { name: "sessions", type: "string", value: "DIR", description: "the sessions folder (default ~/.codex/sessions)" },
  ],
  maxPositionals: 0,
  async run(args, context) {
    const since = parseSince(args.options["since"]);
    if (since !== null && typeof since === "object") return usageError(context.io, "codex import", since.error);
    const root = sessionsRoot(args.options["sessions"], context.paths.home, context.io.env);
    let files: string[];
    try {
      files = codexSessionFiles(root);
    } catch {
      context.io.stderr(`mosaic: no Codex sessions folder at ${root}\n`);
      return 1;
    }
    const bar = progressBar(context.io, "reading sessions", files.length);
    const events = importSessions(files, readSession(new PriceTable()), "codex", context, since, bar.tick);
    bar.end();
    return sendImported(events, context, "Codex sessions");
  },
};

/** A session counts as finished once its file has not changed for this long. */
export const CODEX_IDLE_MS = 15 * 60 * 1000;
/** The first notify looks this far back. */
const FIRST_LOOK_BACK_MS = 24 * 60 * 60 * 1000;

export const codexNotify: Command = {
  path: "codex notify",
  args: "[JSON]",
  summary: "Codex's notify program: reports the Codex sessions that have finished",
  details:
    'Set `notify = ["mosaic", "codex", "notify"]` in ~/.codex/config.toml. Codex runs it after each\n' +
    "turn; Codex has no session-end event, so it reports the sessions idle for 15 minutes since the\n" +
    "previous run (the current one goes with a later run, or with `mosaic codex import`).\n" +
    "Bounded like the Claude Code hook; any failure is one line on stderr and exit code 0.",
  options: [{ name: "sessions", type: "string", value: "DIR", description: "the sessions folder (default ~/.codex/sessions)" }],
  maxPositionals: 1,
  async run(args, context) {
    const { io, paths } = context;
    try {
      const settings = requireSettings(resolveConfig(paths.configDir, io.env));
      if ("missing" in settings) throw new Error(settings.missing);
      const marker = join(paths.stateDir, "codex-notify.json");
      let after = io.now() - FIRST_LOOK_BACK_MS;
      try {
        const saved = (JSON.parse(readFileSync(marker, "utf8")) as { reportedThroughMs?: unknown }).reportedThroughMs;
        if (typeof saved === "number") after = saved;
      } catch {
        // first run
      }
      const through = io.now() - CODEX_IDLE_MS;
      const files = codexSessionFiles(sessionsRoot(args.options["sessions"], paths.home, io.env)).filter((file) => {
        const mtime = statSync(file).mtimeMs;
        return mtime > after && mtime <= through;
      });
      const events = importSessions(files, readSession(new PriceTable()), "codex", context, null, () => {});
      const log = new ErrorLog();
      const client = openClient(settings, paths, hookTimes(io.env).report, log.onError);
      for (const e of events) client.track(capturedEvent(client.eventBuilder, e));
      logCaptured(paths.stateDir, events, "codex notify", io.now());
      await client.stop();
      mkdirSync(paths.stateDir, { recursive: true, mode: 0o700 });
      writeFileSync(marker, JSON.stringify({ reportedThroughMs: Math.max(after, through) }));
      const problem = log.first();
      if (problem !== null) io.stderr(`mosaic: ${problem}\n`);
    } catch (error) {
      io.stderr(`mosaic: ${error instanceof Error ? error.message : String(error)}\n`);
    }
    return 0;
  },
};
