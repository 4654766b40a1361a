import { statSync } from "node:fs";
import type { Harness } from "@mosaicstack/telemetry-protocol";
import { repoInfo, type RepoInfo } from "../capture/repo-info.js";
import { unknownModelReporter } from "../capture/report-once.js";
import { sessionEvent, type SessionEvent } from "../capture/session-event.js";
import type { SessionSummary } from "../capture/session-summary.js";
import { taskDimensions } from "../capture/task-dimensions.js";
import type { Context } from "../command.js";
import { resolveConfig } from "../config/user-config.js";
import { logCaptured } from "../telemetry/capture-log.js";
import { capturedEvent } from "../telemetry/captured-event.js";
import { deliver } from "../telemetry/deliver.js";
import { ErrorLog } from "../telemetry/error-log.js";
import { bulkLimits, openClient, requireSettings } from "../telemetry/open-client.js";

/** `--since DATE`: a date (or date-time) Date.parse understands, else a usage error. */
export function parseSince(value: string | boolean | undefined): number | null | { error: string } {
  if (typeof value !== "string") return null;
  const ms = Date.parse(value);
  return Number.isNaN(ms) ? { error: `--since ${value} is not a date (use YYYY-MM-DD)` } : ms;
}

/**
 * Reads every session file modified since `since` into events (both imports and `codex notify`).
 * `repoInfo` runs once per distinct working folder.
 */
export function importSessions(
  files: readonly string[],
  read: (file: string) => SessionSummary[],
  harness: Harness,
  context: Context,
  since: number | null,
  onProgress: (done: number) => void,
): SessionEvent[] {
  const { io } = context;
  const repos = new Map<string, RepoInfo | null>();
  const tellUnknown = unknownModelReporter(io.stderr);
  const events: SessionEvent[] = [];
  files.forEach((file, index) => {
    onProgress(index);
    if (since !== null && statSync(file).mtimeMs < since) return;
    let summaries: SessionSummary[];
    try {
      summaries = read(file);
    } catch (error) {
      io.stderr(`mosaic: ${file}: ${error instanceof Error ? error.message : String(error)}\n`);
      return;
    }
    for (const summary of summaries) {
      if (since !== null && !(summary.endMs >= since)) continue;
      tellUnknown(summary.unknownModels);
      const cwd = summary.cwd;
      if (cwd !== null && !repos.has(cwd)) repos.set(cwd, repoInfo(cwd));
      const event = sessionEvent(harness, summary, taskDimensions(cwd, io.env), cwd === null ? null : (repos.get(cwd) ?? null), null, io.now());
      if (event !== null) events.push(event);
    }
  });
  return events;
}

/** Sends imported sessions; exit code 1 when the server refused any. */
export async function sendImported(events: readonly SessionEvent[], context: Context, noun: string): Promise<number> {
  const { io, paths } = context;
  const settings = requireSettings(resolveConfig(paths.configDir, io.env));
  if ("missing" in settings) {
    io.stderr(`mosaic: ${settings.missing}\n`);
    return 1;
  }
  const log = new ErrorLog();
  const client = openClient(settings, paths, bulkLimits(io.env), log.onError);
  const built = events.map((e) => capturedEvent(client.eventBuilder, e));
  logCaptured(paths.stateDir, events, noun, io.now());
  const result = await deliver(client, built, io, log, noun);
  return result.rejected > 0 ? 1 : 0;
}
