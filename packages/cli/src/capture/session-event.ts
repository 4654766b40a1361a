import type { Harness, Outcome, Provider, TaskCompletionFields } from "@mosaicstack/telemetry-protocol";
import { providerOfModel } from "../pricing/price-table.js";
import { gateFields } from "./quality-gates.js";
import type { RepoInfo } from "./repo-info.js";
import type { SessionSummary } from "./session-summary.js";
import type { TaskDimensions } from "./task-dimensions.js";
import { sessionEventId } from "./uuid-v5.js";

/** The SessionStart prediction kept as the session's estimate; absent means "no estimate" (all 0). */
export interface SessionEstimate {
  input_tokens: number;
  output_tokens: number;
  cost_usd_micros: number;
}

/** What the SDK's event builder needs, plus the id and finish time the CLI decides. */
export interface SessionEvent {
  eventId: string;
  /** The harness's session id (with `:<prompt uuid>` for a turn). */
  sessionId: string;
  /** When the session ended (its last entry), ISO 8601 UTC. */
  timestamp: string;
  fields: TaskCompletionFields;
}

/** The model that cost the most; with no prices known, the one with the most tokens. */
function mainModel(summary: SessionSummary): string | null {
  let best: string | null = null;
  let bestCost = -1;
  let bestTokens = -1;
  for (const [model, parts] of summary.tokensByModel) {
    const cost = summary.costByModel.get(model) ?? 0;
    const tokens = parts.input + parts.cacheWrite + parts.cacheRead + parts.output;
    if (cost > bestCost || (cost === bestCost && tokens > bestTokens)) [best, bestCost, bestTokens] = [model, cost, tokens];
  }
  return best;
}

/**
 * Turns a session into one task event by the rules of docs/capture.md, or null when the session
 * made no model request (nothing to report). `nowMs` bounds the timestamp: the server refuses one
 * more than 5 minutes ahead.
 */
export function sessionEvent(
  harness: Harness,
  summary: SessionSummary,
  dims: TaskDimensions,
  repo: RepoInfo | null,
  estimate: SessionEstimate | null,
  nowMs: number,
): SessionEvent | null {
  const model = mainModel(summary);
  if (model === null) return null;
  let input = 0;
  let output = 0;
  for (const parts of summary.tokensByModel.values()) {
    input += parts.input + parts.cacheWrite + parts.cacheRead;
    output += parts.output;
  }
  let cost = 0;
  for (const value of summary.costByModel.values()) cost += value;
  const gates = gateFields(summary.gateRuns);
  const outcome: Outcome = gates.failed.length > 0 || summary.endedOnError ? "failure" : "success";
  const last = summary.lastRequest;
  const utilization = last !== null && last.contextWindow ? Math.min(1, last.inputTokens / last.contextWindow) : 0;
  const duration = Number.isNaN(summary.startMs) || Number.isNaN(summary.endMs) ? 0 : Math.max(0, summary.endMs - summary.startMs);
  const endMs = Number.isNaN(summary.endMs) ? nowMs : Math.min(summary.endMs, nowMs);
  return {
    eventId: sessionEventId(harness, summary.sessionId),
    sessionId: summary.sessionId,
    timestamp: new Date(endMs).toISOString(),
    fields: {
      task_duration_ms: Math.round(duration),
      task_type: dims.task_type,
      complexity: dims.complexity,
      harness,
      model: model.slice(0, 100),
      provider: providerOfModel(model) as Provider,
      estimated_input_tokens: estimate?.input_tokens ?? 0,
      estimated_output_tokens: estimate?.output_tokens ?? 0,
      actual_input_tokens: input,
      actual_output_tokens: output,
      estimated_cost_usd_micros: estimate?.cost_usd_micros ?? 0,
      actual_cost_usd_micros: Math.round(cost),
      quality_gate_passed: gates.passed,
      quality_gates_run: gates.run,
      quality_gates_failed: gates.failed,
      context_compactions: summary.compactions,
      context_rotations: 0,
      context_utilization_final: utilization,
      outcome,
      retry_count: Math.max(0, summary.apiErrors - (summary.endedOnError ? 1 : 0)),
      language: repo?.language ?? null,
      repo_size_category: repo?.repo_size_category ?? null,
    },
  };
}
