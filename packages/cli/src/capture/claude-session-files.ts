import { readFileSync, readdirSync } from "node:fs";
import { basename, dirname, join } from "node:path";
import type { PriceTable } from "../pricing/price-table.js";
import { ClaudeTranscriptReader, forEachEntry, isPrompt, type TranscriptLine } from "./claude-transcript.js";
import type { SessionSummary } from "./session-summary.js";

/** The subagent transcripts Claude Code keeps beside a session's (`<session id>/subagents/*.jsonl`), read. */
function subagentTexts(transcriptPath: string, sessionId: string): string[] {
  const folder = join(dirname(transcriptPath), sessionId, "subagents");
  let files: string[] = [];
  try {
    files = readdirSync(folder).filter((name) => name.endsWith(".jsonl"));
  } catch {
    // no subagents folder: the common case
  }
  return files.sort().map((file) => readFileSync(join(folder, file), "utf8"));
}

/** Reads a whole session: its transcript and its subagents' (their requests are the session's too). */
export function readClaudeSession(transcriptPath: string, prices: PriceTable): SessionSummary {
  const reader = new ClaudeTranscriptReader(prices);
  reader.add(readFileSync(transcriptPath, "utf8"));
  const sessionId = basename(transcriptPath, ".jsonl");
  for (const text of subagentTexts(transcriptPath, sessionId)) reader.add(text, true);
  return reader.summary(sessionId);
}

/**
 * Reads a session turn by turn: a turn runs from a person's prompt to the next one (lines before
 * the first prompt belong to the first turn). Each summary's `sessionId` is
 * `<session id>:<the prompt's uuid>`, so each turn's event id is stable too. A subagent's line
 * goes to the turn that was running at its timestamp.
 */
export function readClaudeTurns(transcriptPath: string, prices: PriceTable): SessionSummary[] {
  const turns: { id: string; startMs: number; reader: ClaudeTranscriptReader }[] = [];
  let sessionId = basename(transcriptPath, ".jsonl");
  forEachEntry(readFileSync(transcriptPath, "utf8"), (entry) => {
    if (typeof entry.sessionId === "string") sessionId = entry.sessionId;
    if (turns.length === 0 || isPrompt(entry)) {
      const ms = typeof entry.timestamp === "string" ? Date.parse(entry.timestamp) : Number.NaN;
      turns.push({ id: entry.uuid ?? String(turns.length), startMs: ms, reader: new ClaudeTranscriptReader(prices) });
    }
    (turns[turns.length - 1] as (typeof turns)[number]).reader.entry(entry, false);
  });
  const turnAt = (entry: TranscriptLine): (typeof turns)[number] | undefined => {
    const ms = typeof entry.timestamp === "string" ? Date.parse(entry.timestamp) : Number.NaN;
    let found = turns[0];
    for (const turn of turns) if (turn.startMs <= ms) found = turn;
    return found;
  };
  for (const text of subagentTexts(transcriptPath, basename(transcriptPath, ".jsonl"))) {
    forEachEntry(text, (entry) => turnAt(entry)?.reader.entry(entry, true));
  }
  return turns.map((turn) => {
    const summary = turn.reader.summary(sessionId);
    summary.sessionId = `${sessionId}:${turn.id}`;
    return summary;
  });
}
