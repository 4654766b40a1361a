import { readFileSync, readdirSync } from "node:fs";
import { basename, dirname, join } from "node:path";
import type { PriceTable } from "../pricing/price-table.js";
import { ClaudeTranscriptReader } from "./claude-transcript.js";
import type { SessionSummary } from "./session-summary.js";

/**
 * Reads a session from its transcript and, when present, the subagent transcripts Claude Code
 * keeps beside it (`<session id>/subagents/*.jsonl`): their requests are the session's too.
 */
export function readClaudeSession(transcriptPath: string, prices: PriceTable): SessionSummary {
  const reader = new ClaudeTranscriptReader(prices);
  reader.add(readFileSync(transcriptPath, "utf8"));
  const sessionId = basename(transcriptPath, ".jsonl");
  const subagents = join(dirname(transcriptPath), sessionId, "subagents");
  let files: string[] = [];
  try {
    files = readdirSync(subagents).filter((name) => name.endsWith(".jsonl"));
  } catch {
    // no subagents folder: the common case
  }
  for (const file of files.sort()) reader.add(readFileSync(join(subagents, file), "utf8"), true);
  return reader.summary(sessionId);
}
