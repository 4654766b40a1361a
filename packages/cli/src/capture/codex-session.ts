import type { QualityGate } from "@mosaicstack/telemetry-protocol";
import type { PriceTable, TokenParts } from "../pricing/price-table.js";
import { gatesOfCommand } from "./quality-gates.js";
import { addParts, emptyParts, type GateRun, type SessionSummary } from "./session-summary.js";

/** The parts of a Codex rollout line that capture reads (docs/capture.md, "Codex"). */
interface RolloutLine {
  timestamp?: string;
  type?: string;
  payload?: {
    type?: string;
    id?: string;
    cwd?: string;
    model?: string;
    name?: string;
    arguments?: string;
    call_id?: string;
    output?: unknown;
    info?: {
      total_token_usage?: Usage;
      last_token_usage?: Usage;
      model_context_window?: number;
    } | null;
  };
}

interface Usage {
  input_tokens?: number;
  cached_input_tokens?: number;
  output_tokens?: number;
  total_tokens?: number;
}

const count = (value: number | undefined): number => (typeof value === "number" && value > 0 ? value : 0);

/** A shell call's command line: Codex passes argv (`["bash", "-lc", "npm test"]`) or a string. */
function commandLine(args: string | undefined): string {
  if (args === undefined) return "";
  try {
    const parsed = JSON.parse(args) as { command?: unknown; cmd?: unknown };
    const command = parsed.command ?? parsed.cmd;
    if (typeof command === "string") return command;
    if (Array.isArray(command)) {
      const words = command.filter((w): w is string => typeof w === "string");
      // `bash -lc "<script>"`: the script is the command line.
      const script = words.findIndex((w) => w === "-lc" || w === "-c");
      return script >= 0 ? (words[script + 1] ?? "") : words.join(" ");
    }
  } catch {
    // not JSON: no command
  }
  return "";
}

/** Whether a function call's output says it failed: exit_code in its metadata, else Codex's "failed" marker. */
function succeeded(output: unknown): boolean {
  if (typeof output !== "string") return true;
  try {
    const parsed = JSON.parse(output) as { metadata?: { exit_code?: unknown } };
    const code = parsed.metadata?.exit_code;
    return typeof code !== "number" || code === 0;
  } catch {
    return !/^(Exit code: [1-9]|exited with code [1-9])/m.test(output);
  }
}

/** Reads one Codex session (a `rollout-*.jsonl` file under ~/.codex/sessions) into a summary. */
export function readCodexSession(text: string, prices: PriceTable, fallbackSessionId: string): SessionSummary {
  const tokensByModel = new Map<string, TokenParts>();
  const costByModel = new Map<string, number>();
  const unknownModels = new Set<string>();
  const pending = new Map<string, QualityGate[]>();
  const gateRuns: GateRun[] = [];
  let sessionId = "";
  let cwd: string | null = null;
  let model = "";
  let startMs = Number.NaN;
  let endMs = Number.NaN;
  let compactions = 0;
  let apiErrors = 0;
  let endedOnError = false;
  let lastTotal = -1;
  let lastRequest: SessionSummary["lastRequest"] = null;

  for (const raw of text.split("\n")) {
    if (raw === "") continue;
    let line: RolloutLine;
    try {
      line = JSON.parse(raw) as RolloutLine;
    } catch {
      continue;
    }
    const ms = typeof line.timestamp === "string" ? Date.parse(line.timestamp) : Number.NaN;
    if (!Number.isNaN(ms)) {
      if (Number.isNaN(startMs) || ms < startMs) startMs = ms;
      if (Number.isNaN(endMs) || ms > endMs) endMs = ms;
    }
    const payload = line.payload;
    if (payload === undefined || payload === null) continue;
    if (line.type === "session_meta") {
      if (typeof payload.id === "string") sessionId = payload.id;
      if (typeof payload.cwd === "string") cwd = payload.cwd;
    } else if (line.type === "turn_context") {
      if (typeof payload.model === "string") model = payload.model;
      if (typeof payload.cwd === "string") cwd = payload.cwd;
    } else if (line.type === "compacted") {
      compactions++;
    } else if (line.type === "response_item" && payload.type === "function_call") {
      if ((payload.name === "shell" || payload.name === "exec_command" || payload.name === "local_shell") && typeof payload.call_id === "string") {
        const gates = gatesOfCommand(commandLine(payload.arguments));
        if (gates.length > 0) pending.set(payload.call_id, gates);
      }
    } else if (line.type === "response_item" && payload.type === "function_call_output" && typeof payload.call_id === "string") {
      const gates = pending.get(payload.call_id);
      if (gates !== undefined) {
        pending.delete(payload.call_id);
        const passed = succeeded(payload.output);
        for (const gate of gates) gateRuns.push({ gate, passed });
      }
    } else if (line.type === "event_msg" && payload.type === "error") {
      apiErrors++;
      endedOnError = true;
    } else if (line.type === "event_msg" && payload.type === "token_count" && payload.info) {
      const total = payload.info.total_token_usage;
      const last = payload.info.last_token_usage;
      // Codex repeats a token_count without a new request: only a changed running total is one.
      if (total === undefined || last === undefined || count(total.total_tokens) === lastTotal) continue;
      lastTotal = count(total.total_tokens);
      endedOnError = false;
      const name = model || "unknown";
      // OpenAI's input_tokens include the cached ones.
      const cached = count(last.cached_input_tokens);
      const parts: TokenParts = { input: Math.max(0, count(last.input_tokens) - cached), cacheWrite: 0, cacheRead: cached, output: count(last.output_tokens) };
      let sum = tokensByModel.get(name);
      if (sum === undefined) tokensByModel.set(name, (sum = emptyParts()));
      addParts(sum, parts);
      const priced = prices.lookup(name);
      if (priced === null) unknownModels.add(name);
      costByModel.set(name, (costByModel.get(name) ?? 0) + (priced === null ? 0 : priced.costMicros(parts, ms)));
      const window = count(payload.info.model_context_window) || priced?.contextWindow || null;
      lastRequest = { model: name, inputTokens: count(last.input_tokens), contextWindow: window };
    }
  }
  return {
    sessionId: sessionId || fallbackSessionId,
    startMs,
    endMs,
    tokensByModel,
    costByModel,
    lastRequest,
    compactions,
    gateRuns,
    apiErrors,
    endedOnError,
    cwd,
    unknownModels,
  };
}
