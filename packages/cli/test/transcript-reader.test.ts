import { describe, expect, it } from "vitest";
import { ClaudeTranscriptReader, isPrompt } from "../src/capture/claude-transcript.js";
import { readCodexSession } from "../src/capture/codex-session.js";
import { PriceTable } from "../src/pricing/price-table.js";
import { ClaudeTranscript, CodexRollout } from "./helpers/transcripts.js";

const prices = new PriceTable();
const SONNET = "claude-sonnet-4-5-20250929";

describe("the Claude Code transcript reader, in process", () => {
  it("counts a streamed message once, with its last copy's usage", () => {
    const line = (output: number) =>
      JSON.stringify({ type: "assistant", requestId: "req_1", timestamp: "2026-11-30T10:00:00.000Z", message: { id: "msg_1", model: SONNET, usage: { input_tokens: 10, output_tokens: output } } });
    const reader = new ClaudeTranscriptReader(prices);
    reader.add([line(1), line(7), line(40)].join("\n"));
    expect(reader.summary("s").tokensByModel.get(SONNET)).toEqual({ input: 10, cacheWrite: 0, cacheRead: 0, output: 40 });
  });

  it("skips a last line cut mid-write, and lines that are not objects", () => {
    const text = new ClaudeTranscript("s1", "/tmp").user("go").assistant(SONNET, { input: 5, output: 5 }).text();
    const reader = new ClaudeTranscriptReader(prices);
    reader.add(text + '[1,2]\n42\n{"type":"assistant","message":{"id":"m","mod');
    const summary = reader.summary("fallback");
    expect(summary.sessionId).toBe("s1");
    expect(summary.tokensByModel.get(SONNET)?.output).toBe(5);
  });

  it("an unknown model is priced 0 and named", () => {
    const reader = new ClaudeTranscriptReader(prices);
    reader.add(new ClaudeTranscript("s2", "/tmp").assistant("acme-coder-7", { input: 1000, output: 1000 }).text());
    const summary = reader.summary("s2");
    expect([...summary.unknownModels]).toEqual(["acme-coder-7"]);
    expect(summary.costByModel.get("acme-coder-7")).toBe(0);
  });

  it("a prompt is a main-chain user line with text and no tool result", () => {
    expect(isPrompt({ type: "user", message: { content: "fix it" } })).toBe(true);
    expect(isPrompt({ type: "user", message: { content: [{ type: "text", text: "fix it" }] } })).toBe(true);
    expect(isPrompt({ type: "user", message: { content: [{ type: "tool_result", tool_use_id: "t" }] } })).toBe(false);
    expect(isPrompt({ type: "user", isSidechain: true, message: { content: "subagent task" } })).toBe(false);
    expect(isPrompt({ type: "user", isMeta: true, message: { content: "<command-name>/clear</command-name>" } })).toBe(false);
    expect(isPrompt({ type: "user", isCompactSummary: true, message: { content: "This session is being continued…" } })).toBe(false);
  });
});

describe("the Codex session reader, in process", () => {
  it("follows the model of each turn_context and ends on an error after the last request", () => {
    const text = new CodexRollout("c1", "/tmp", "gpt-5-codex").request(100, 0, 10).text() + JSON.stringify({ timestamp: "2026-11-30T13:00:00.000Z", type: "event_msg", payload: { type: "error", message: "stream disconnected" } }) + "\n";
    const summary = readCodexSession(text, prices, "fallback");
    expect(summary.sessionId).toBe("c1");
    expect(summary.endedOnError).toBe(true);
    expect(summary.apiErrors).toBe(1);
    expect([...summary.tokensByModel.keys()]).toEqual(["gpt-5-codex"]);
  });
});
