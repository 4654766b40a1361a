/**
 * Claude Code transcripts for the CLI bench, generated from the shapes docs/capture.md documents
 * (no real session): user prompts, streamed assistant messages (a line per content block, each
 * repeating the usage), Bash calls with their tool results, and large tool outputs that make up
 * most of a real transcript's bytes.
 */
import { randomUUID } from "node:crypto";

const COMMANDS = ["npm test", "npm run lint", "npx tsc --noEmit", "git status", "ls -la src", "npm run build"];

/** A transcript of at least `bytes` bytes for `sessionId`, from `startMs`. */
export function claudeTranscript(sessionId, cwd, bytes, startMs = Date.parse("2026-11-30T10:00:00.000Z"), outputBytes = 6000) {
  const lines = [];
  let size = 0;
  let clock = startMs;
  let n = 0;
  const push = (entry) => {
    const line = JSON.stringify({ uuid: randomUUID(), sessionId, cwd, timestamp: new Date(clock).toISOString(), ...entry });
    clock += 1500;
    lines.push(line);
    size += line.length + 1;
  };
  const filler = "x".repeat(outputBytes);
  push({ type: "user", message: { role: "user", content: "Implement the feature described in the issue and make the tests pass." } });
  while (size < bytes) {
    n++;
    const id = `msg_${n}_${sessionId.slice(0, 8)}`;
    const requestId = `req_${n}`;
    const toolId = `toolu_${n}`;
    const usage = { input_tokens: 20 + (n % 7), cache_creation_input_tokens: 500 + n, cache_read_input_tokens: 20_000 + 40 * n, output_tokens: 150 + (n % 50) };
    const model = n % 9 === 0 ? "claude-haiku-4-5-20251001" : "claude-sonnet-4-5-20250929";
    for (const block of [
      { type: "thinking", thinking: "Let me look at the failing test first. ".repeat(8) },
      { type: "text", text: "I will run the command and read its output." },
      { type: "tool_use", id: toolId, name: "Bash", input: { command: COMMANDS[n % COMMANDS.length] } },
    ]) {
      push({ type: "assistant", requestId, isSidechain: n % 13 === 0, message: { id, type: "message", role: "assistant", model, content: [block], usage } });
    }
    push({ type: "user", toolUseResult: { stdout: filler, stderr: "", interrupted: false }, message: { role: "user", content: [{ type: "tool_result", tool_use_id: toolId, is_error: n % 11 === 0, content: filler }] } });
    if (n % 200 === 0) push({ type: "system", subtype: "compact_boundary", content: "Conversation compacted", compactMetadata: { trigger: "auto", preTokens: 150_000 } });
  }
  return lines.join("\n") + "\n";
}
