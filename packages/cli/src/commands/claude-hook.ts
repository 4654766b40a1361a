import type { PredictionQuery, Provider } from "@mosaicstack/telemetry-protocol";
import { readClaudeSession, readClaudeTurns } from "../capture/claude-session-files.js";
import { dropEstimate, readEstimate, saveEstimate } from "../capture/estimate-store.js";
import { recentModel } from "../capture/recent-model.js";
import { repoInfo, repoInfoLater } from "../capture/repo-info.js";
import { unknownModelReporter } from "../capture/report-once.js";
import { sessionEvent } from "../capture/session-event.js";
import type { SessionSummary } from "../capture/session-summary.js";
import { taskDimensions } from "../capture/task-dimensions.js";
import type { Command, Context } from "../command.js";
import { resolveConfig } from "../config/user-config.js";
import { PriceTable, providerOfModel } from "../pricing/price-table.js";
import { logCaptured } from "../telemetry/capture-log.js";
import { capturedEvent } from "../telemetry/captured-event.js";
import { ErrorLog } from "../telemetry/error-log.js";
import { hookTimes, openClient, requireSettings } from "../telemetry/open-client.js";
import { formatUsd, predictionLine } from "./prediction-format.js";

/** The fields of Claude Code's hook input that the hook reads. */
interface HookInput {
  session_id?: unknown;
  transcript_path?: unknown;
  cwd?: unknown;
  hook_event_name?: unknown;
  model?: unknown;
}

const text = (value: unknown): string | null => (typeof value === "string" && value !== "" ? value : null);

/** SessionStart may name the model as a string or as `{id, display_name}`. */
function modelOf(value: unknown): string | null {
  if (typeof value === "string" && value !== "") return value;
  if (typeof value === "object" && value !== null) return text((value as { id?: unknown }).id);
  return null;
}

export const claudeHook: Command = {
  path: "claude-code hook",
  args: "",
  summary: "The hook command Claude Code runs (its JSON on stdin)",
  details:
    "SessionStart: prints the crowd prediction for the project's dimensions as one line of context\n" +
    "and keeps it as the session's estimate. SessionEnd: turns the transcript into one task event,\n" +
    "spools it and sends it within 0.7 s; what is not sent stays in the spool for the next run.\n" +
    "Stop (installed with --per-turn): the same for the turn that just ended.\n" +
    "Any failure is one line on stderr and exit code 0: the session is never blocked.",
  options: [],
  maxPositionals: 0,
  async run(_args, context) {
    try {
      const input = JSON.parse(await context.io.readStdin()) as HookInput;
      if (typeof input !== "object" || input === null) throw new Error("the hook input is not a JSON object");
      const event = text(input.hook_event_name);
      if (event === "SessionStart") await sessionStart(input, context);
      else if (event === "SessionEnd") await report(input, context, "session");
      else if (event === "Stop") await report(input, context, "turn");
      // Other events (PreToolUse, …) are not reported: nothing to do.
    } catch (error) {
      context.io.stderr(`mosaic: ${error instanceof Error ? error.message : String(error)}\n`);
    }
    return 0;
  },
};

async function sessionStart(input: HookInput, { io, paths }: Context): Promise<void> {
  const settings = requireSettings(resolveConfig(paths.configDir, io.env));
  if ("missing" in settings) throw new Error(settings.missing);
  const cwd = text(input.cwd) ?? io.cwd;
  const dims = taskDimensions(cwd, io.env);
  const transcript = text(input.transcript_path);
  const model = modelOf(input.model) ?? dims.model ?? (transcript === null ? null : recentModel(transcript));
  const log = new ErrorLog();
  const client = openClient(settings, paths, hookTimes(io.env).sessionStart, log.onError);
  if (model !== null) {
    const query: PredictionQuery = { task_type: dims.task_type, model, provider: providerOfModel(model) as Provider, complexity: dims.complexity };
    await client.refreshPredictions([query]);
    const answer = client.getPrediction(query);
    const prediction = answer?.prediction;
    const sessionId = text(input.session_id);
    if (answer && prediction) {
      io.stdout(predictionLine(query, answer) + "\n");
      // The estimate is the median with the correction factors applied (docs/capture.md).
      if (sessionId !== null) {
        saveEstimate(paths.estimatesDir, sessionId, {
          input_tokens: Math.round(prediction.input_tokens.median * prediction.correction_factors.input),
          output_tokens: Math.round(prediction.output_tokens.median * prediction.correction_factors.output),
          cost_usd_micros: Math.round(prediction.cost_usd_micros.median),
        }, io.now());
      }
    }
  }
  // A session start is also a moment to deliver what earlier runs left in the spool.
  await client.stop();
  const problem = log.first();
  if (problem !== null) io.stderr(`mosaic: ${problem}\n`);
}

/**
 * SessionEnd reports the whole session; Stop (installed with --per-turn instead of SessionEnd)
 * reports the turn that just ended, under its own event id and without an estimate.
 */
async function report(input: HookInput, { io, paths }: Context, unit: "session" | "turn"): Promise<void> {
  const settings = requireSettings(resolveConfig(paths.configDir, io.env));
  if ("missing" in settings) throw new Error(settings.missing);
  const transcript = text(input.transcript_path);
  if (transcript === null) throw new Error(`${unit === "session" ? "SessionEnd" : "Stop"} without a transcript_path`);
  const times = hookTimes(io.env);
  // git runs while the transcript is parsed.
  const repo = repoInfoLater(text(input.cwd), times.gitMs);
  const prices = new PriceTable();
  const sessionId = text(input.session_id);
  let summary: SessionSummary | undefined;
  if (unit === "session") {
    summary = readClaudeSession(transcript, prices);
    if (sessionId !== null) summary.sessionId = sessionId;
  } else {
    summary = readClaudeTurns(transcript, prices).at(-1);
    if (summary === undefined) return;
  }
  unknownModelReporter(io.stderr)(summary.unknownModels);
  const cwd = text(input.cwd) ?? summary.cwd;
  const estimate = unit === "session" && sessionId !== null ? readEstimate(paths.estimatesDir, sessionId) : null;
  const repoOfCwd = text(input.cwd) !== null ? await repo : repoInfo(cwd, times.gitMs);
  const captured = sessionEvent("claude_code", summary, taskDimensions(cwd, io.env), repoOfCwd, estimate, io.now());
  if (captured === null) return; // no model request: nothing to report
  const log = new ErrorLog();
  const client = openClient(settings, paths, times.report, log.onError);
  const event = capturedEvent(client.eventBuilder, captured);
  client.track(event);
  logCaptured(paths.stateDir, [captured], `claude-code ${unit === "session" ? "SessionEnd" : "Stop"}`, io.now());
  const result = await client.stop();
  if (unit === "session" && sessionId !== null) dropEstimate(paths.estimatesDir, sessionId);
  const problem = log.first();
  if (result.pending > 0) {
    io.stderr(`mosaic: ${unit} ${summary.sessionId} (${formatUsd(event.actual_cost_usd_micros)}) not delivered yet${problem ? `: ${problem}` : ""}; it stays in the spool\n`);
  } else if (problem !== null) {
    io.stderr(`mosaic: ${problem}\n`);
  }
}
