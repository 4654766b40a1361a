import type { PriceTable, TokenParts } from "../pricing/price-table.js";
import { gatesOfCommand } from "./quality-gates.js";
import { addParts, emptyParts, type GateRun, type SessionSummary } from "./session-summary.js";
import type { QualityGate } from "@mosaicstack/telemetry-protocol";

/** The parts of a Claude Code transcript line that capture reads (docs/capture.md, "Claude Code"). */
export interface TranscriptLine {
  type?: string;
  uuid?: string;
  isSidechain?: boolean;
  isMeta?: boolean;
  isCompactSummary?: boolean;
  subtype?: string;
  timestamp?: string;
  sessionId?: string;
  cwd?: string;
  requestId?: string;
  isApiErrorMessage?: boolean;
  message?: {
    id?: string;
    model?: string;
    usage?: {
      input_tokens?: number;
      output_tokens?: number;
      cache_creation_input_tokens?: number;
      cache_read_input_tokens?: number;
    };
    content?: unknown;
  };
}

interface ContentBlock {
  type?: string;
  id?: string;
  name?: string;
  input?: { command?: unknown };
  tool_use_id?: string;
  is_error?: boolean;
}

/** Calls `visit` with each line of a JSON-lines text that parses to an object; other lines are skipped. */
export function forEachEntry(text: string, visit: (entry: TranscriptLine) => void): void {
  let start = 0;
  while (start < text.length) {
    let end = text.indexOf("\n", start);
    if (end === -1) end = text.length;
    if (end > start) {
      let entry: unknown;
      try {
        entry = JSON.parse(text.slice(start, end));
      } catch {
        entry = null; // a transcript being written may end mid-line
      }
      if (typeof entry === "object" && entry !== null) visit(entry as TranscriptLine);
    }
    start = end + 1;
  }
}

/**
 * Whether an entry is a person's prompt, the start of a turn (docs/capture.md, "Per turn"): a
 * main-chain user message with text and no tool result, not one Claude Code wrote itself.
 */
export function isPrompt(entry: TranscriptLine): boolean {
  if (entry.type !== "user" || entry.isSidechain === true || entry.isMeta === true || entry.isCompactSummary === true) return false;
  const content = entry.message?.content;
  if (typeof content === "string") return content !== "";
  if (!Array.isArray(content)) return false;
  const blocks = content as ContentBlock[];
  return blocks.some((b) => b?.type === "text") && !blocks.some((b) => b?.type === "tool_result");
}

/** One de-duplicated request: the model and its usage (the last copy of a streamed message wins). */
interface Request {
  model: string;
  parts: TokenParts;
  atMs: number;
}

const count = (value: number | undefined): number => (typeof value === "number" && value > 0 ? value : 0);

/**
 * Reads one Claude Code session: the main transcript, then any subagent transcripts, each fed
 * with `add()`. Lines that are not JSON are skipped (a transcript being written may end mid-line).
 */
export class ClaudeTranscriptReader {
  private readonly requests = new Map<string, Request>();
  private lastRequestKey: string | null = null;
  private readonly pendingGates = new Map<string, QualityGate[]>();
  private readonly gateRuns: GateRun[] = [];
  private startMs = Number.NaN;
  private endMs = Number.NaN;
  private compactions = 0;
  private apiErrors = 0;
  /** Whether the main chain's last assistant entry was an API error. */
  private lastWasError = false;
  private sessionId = "";
  private cwd: string | null = null;

  constructor(private readonly prices: PriceTable) {}

  add(text: string, sidechain = false): void {
    forEachEntry(text, (entry) => this.entry(entry, sidechain));
  }

  /** One parsed line; `sidechainFile` when it comes from a subagent's own transcript. */
  entry(entry: TranscriptLine, sidechainFile: boolean): void {
    if (typeof entry.timestamp === "string") {
      const ms = Date.parse(entry.timestamp);
      if (!Number.isNaN(ms)) {
        if (Number.isNaN(this.startMs) || ms < this.startMs) this.startMs = ms;
        if (Number.isNaN(this.endMs) || ms > this.endMs) this.endMs = ms;
      }
    }
    if (!sidechainFile) {
      if (this.sessionId === "" && typeof entry.sessionId === "string") this.sessionId = entry.sessionId;
      if (typeof entry.cwd === "string") this.cwd = entry.cwd;
    }
    const sidechain = sidechainFile || entry.isSidechain === true;
    switch (entry.type) {
      case "assistant":
        this.assistant(entry, sidechain);
        break;
      case "user":
        this.toolResults(entry.message?.content);
        break;
      case "system":
        if (entry.subtype === "compact_boundary" && !sidechain) this.compactions++;
        break;
    }
  }

  private assistant(entry: TranscriptLine, sidechain: boolean): void {
    const message = entry.message;
    if (entry.isApiErrorMessage === true) {
      this.apiErrors++;
      if (!sidechain) this.lastWasError = true;
      return;
    }
    if (!sidechain) this.lastWasError = false;
    if (message === undefined) return;
    if (Array.isArray(message.content)) {
      for (const block of message.content as ContentBlock[]) {
        if (block?.type === "tool_use" && block.name === "Bash" && typeof block.id === "string" && typeof block.input?.command === "string") {
          const gates = gatesOfCommand(block.input.command);
          if (gates.length > 0) this.pendingGates.set(block.id, gates);
        }
      }
    }
    const model = message.model;
    const usage = message.usage;
    if (typeof model !== "string" || model === "<synthetic>" || usage === undefined) return;
    const key = `${message.id ?? entry.timestamp ?? ""}\u0000${entry.requestId ?? ""}`;
    const parts: TokenParts = {
      input: count(usage.input_tokens),
      cacheWrite: count(usage.cache_creation_input_tokens),
      cacheRead: count(usage.cache_read_input_tokens),
      output: count(usage.output_tokens),
    };
    // Streamed messages repeat with the same id and request id: one request, the last copy's usage.
    this.requests.set(key, { model, parts, atMs: typeof entry.timestamp === "string" ? Date.parse(entry.timestamp) : Number.NaN });
    if (!sidechain) this.lastRequestKey = key;
  }

  private toolResults(content: unknown): void {
    if (!Array.isArray(content)) return;
    for (const block of content as ContentBlock[]) {
      if (block?.type !== "tool_result" || typeof block.tool_use_id !== "string") continue;
      const gates = this.pendingGates.get(block.tool_use_id);
      if (gates === undefined) continue;
      this.pendingGates.delete(block.tool_use_id);
      for (const gate of gates) this.gateRuns.push({ gate, passed: block.is_error !== true });
    }
  }

  summary(fallbackSessionId: string): SessionSummary {
    const tokensByModel = new Map<string, TokenParts>();
    const costByModel = new Map<string, number>();
    const unknownModels = new Set<string>();
    for (const { model, parts, atMs } of this.requests.values()) {
      let sum = tokensByModel.get(model);
      if (sum === undefined) tokensByModel.set(model, (sum = emptyParts()));
      addParts(sum, parts);
      const priced = this.prices.lookup(model);
      if (priced === null) unknownModels.add(model);
      const cost = priced === null ? 0 : priced.costMicros(parts, Number.isNaN(atMs) ? this.endMs : atMs);
      costByModel.set(model, (costByModel.get(model) ?? 0) + cost);
    }
    const last = this.lastRequestKey === null ? undefined : this.requests.get(this.lastRequestKey);
    return {
      sessionId: this.sessionId || fallbackSessionId,
      startMs: this.startMs,
      endMs: this.endMs,
      tokensByModel,
      costByModel,
      lastRequest:
        last === undefined
          ? null
          : {
              model: last.model,
              inputTokens: last.parts.input + last.parts.cacheWrite + last.parts.cacheRead,
              contextWindow: this.prices.lookup(last.model)?.contextWindow ?? null,
            },
      compactions: this.compactions,
      gateRuns: this.gateRuns,
      apiErrors: this.apiErrors,
      endedOnError: this.lastWasError,
      cwd: this.cwd,
      unknownModels,
    };
  }
}
