import type { QualityGate } from "@mosaicstack/telemetry-protocol";
import type { TokenParts } from "../pricing/price-table.js";

/** One Bash (Codex: shell) call that matched the gate table, in the order it ran. */
export interface GateRun {
  gate: QualityGate;
  passed: boolean;
}

/** What a harness's session record says, before it becomes an event (docs/capture.md). */
export interface SessionSummary {
  /** The harness's own session id: the event id is derived from it. */
  sessionId: string;
  /** First and last timestamp seen, in ms; NaN when the record has none. */
  startMs: number;
  endMs: number;
  /** Tokens per model, summed over the session's de-duplicated requests. */
  tokensByModel: Map<string, TokenParts>;
  /** Cost per model in USD micros (fractional until the event rounds it). */
  costByModel: Map<string, number>;
  /** The last request: its model and its whole input, for `context_utilization_final`. */
  lastRequest: { model: string; inputTokens: number; contextWindow: number | null } | null;
  compactions: number;
  gateRuns: GateRun[];
  /** API errors the harness recorded; the last one counts as the session's end if nothing followed it. */
  apiErrors: number;
  endedOnError: boolean;
  /** The working folder the session ran in, when the record names it. */
  cwd: string | null;
  /** Models the price table does not know (priced 0). */
  unknownModels: Set<string>;
}

export function emptyParts(): TokenParts {
  return { input: 0, cacheWrite: 0, cacheRead: 0, output: 0 };
}

export function addParts(into: TokenParts, parts: TokenParts): void {
  into.input += parts.input;
  into.cacheWrite += parts.cacheWrite;
  into.cacheRead += parts.cacheRead;
  into.output += parts.output;
}
