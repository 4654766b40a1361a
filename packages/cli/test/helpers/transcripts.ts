import { randomUUID } from "node:crypto";

/**
 * Session records generated from the shapes docs/capture.md documents: no real user data. Each
 * line gets a timestamp one second after the previous one, from `start`.
 */
export interface Usage {
  input: number;
  cacheWrite?: number;
  cacheRead?: number;
  output: number;
}

export class ClaudeTranscript {
  private readonly lines: string[] = [];
  private clock: number;

  constructor(
    readonly sessionId: string,
    readonly cwd: string,
    start = Date.parse("2026-11-30T10:00:00.000Z"),
  ) {
    this.clock = start;
  }

  private push(entry: Record<string, unknown>): void {
    this.lines.push(JSON.stringify({ uuid: randomUUID(), sessionId: this.sessionId, cwd: this.cwd, timestamp: new Date(this.clock).toISOString(), ...entry }));
    this.clock += 1000;
  }

  user(text: string): this {
    this.push({ type: "user", message: { role: "user", content: text } });
    return this;
  }

  /**
   * One model request. Claude Code writes one line per content block of a streamed message, each
   * repeating the message id, the request id and the usage: `copies` lines.
   */
  assistant(model: string, usage: Usage, options: { copies?: number; sidechain?: boolean; bash?: { id: string; command: string }[] } = {}): this {
    const id = `msg_${randomUUID().replace(/-/g, "").slice(0, 24)}`;
    const requestId = `req_${randomUUID().replace(/-/g, "").slice(0, 24)}`;
    const blocks: unknown[] = [{ type: "text", text: "working on it" }, ...(options.bash ?? []).map((b) => ({ type: "tool_use", id: b.id, name: "Bash", input: { command: b.command } }))];
    const copies = Math.max(options.copies ?? 1, blocks.length);
    for (let i = 0; i < copies; i++) {
      this.push({
        type: "assistant",
        requestId,
        isSidechain: options.sidechain === true,
        message: {
          id,
          type: "message",
          role: "assistant",
          model,
          content: [blocks[Math.min(i, blocks.length - 1)]],
          usage: { input_tokens: usage.input, cache_creation_input_tokens: usage.cacheWrite ?? 0, cache_read_input_tokens: usage.cacheRead ?? 0, output_tokens: usage.output },
        },
      });
    }
    return this;
  }

  toolResult(toolUseId: string, isError: boolean): this {
    this.push({ type: "user", message: { role: "user", content: [{ type: "tool_result", tool_use_id: toolUseId, is_error: isError, content: isError ? "exit 1" : "ok" }] } });
    return this;
  }

  /** A Bash call and its result in one go. */
  bash(model: string, command: string, passed: boolean, usage: Usage = { input: 10, output: 5 }): this {
    const id = `toolu_${randomUUID().replace(/-/g, "").slice(0, 20)}`;
    return this.assistant(model, usage, { bash: [{ id, command }] }).toolResult(id, !passed);
  }

  compact(): this {
    this.push({ type: "system", subtype: "compact_boundary", content: "Conversation compacted", compactMetadata: { trigger: "auto", preTokens: 150_000 } });
    return this;
  }

  /** A message Claude Code writes itself (no request): model "<synthetic>", usage all 0. */
  synthetic(): this {
    this.push({ type: "assistant", message: { id: randomUUID(), model: "<synthetic>", role: "assistant", content: [{ type: "text", text: "No response requested." }], usage: { input_tokens: 0, output_tokens: 0 } } });
    return this;
  }

  /** An API error entry (Claude Code marks it isApiErrorMessage; its usage is not a request's). */
  apiError(): this {
    this.push({ type: "assistant", isApiErrorMessage: true, message: { id: randomUUID(), model: "<synthetic>", role: "assistant", content: [{ type: "text", text: "API Error: 529 overloaded" }], usage: { input_tokens: 0, output_tokens: 0 } } });
    return this;
  }

  text(): string {
    return this.lines.join("\n") + "\n";
  }
}

/** A Codex rollout file: session_meta, turn_context, token_count events, shell calls. */
export class CodexRollout {
  private readonly lines: string[] = [];
  private clock: number;
  private total = { input_tokens: 0, cached_input_tokens: 0, output_tokens: 0, reasoning_output_tokens: 0, total_tokens: 0 };

  constructor(
    readonly sessionId: string,
    readonly cwd: string,
    readonly model: string,
    start = Date.parse("2026-11-30T12:00:00.000Z"),
  ) {
    this.clock = start;
    this.push("session_meta", { id: sessionId, timestamp: new Date(start).toISOString(), cwd, originator: "codex_cli_rs", cli_version: "0.60.0" });
    this.push("turn_context", { cwd, model, approval_policy: "on-request", sandbox_policy: { mode: "workspace-write" } });
  }

  private push(type: string, payload: Record<string, unknown>): void {
    this.lines.push(JSON.stringify({ timestamp: new Date(this.clock).toISOString(), type, payload }));
    this.clock += 1000;
  }

  /** One request: a token_count event with the request's usage and the running total. `repeat` writes it twice, as Codex sometimes does. */
  request(input: number, cached: number, output: number, repeat = false): this {
    const last = { input_tokens: input, cached_input_tokens: cached, output_tokens: output, reasoning_output_tokens: 0, total_tokens: input + output };
    this.total = {
      input_tokens: this.total.input_tokens + input,
      cached_input_tokens: this.total.cached_input_tokens + cached,
      output_tokens: this.total.output_tokens + output,
      reasoning_output_tokens: 0,
      total_tokens: this.total.total_tokens + input + output,
    };
    const info = { total_token_usage: { ...this.total }, last_token_usage: last, model_context_window: 272_000 };
    this.push("event_msg", { type: "token_count", info });
    if (repeat) this.push("event_msg", { type: "token_count", info });
    return this;
  }

  shell(command: string, exitCode: number): this {
    const callId = `call_${randomUUID().slice(0, 8)}`;
    this.push("response_item", { type: "function_call", name: "shell", arguments: JSON.stringify({ command: ["bash", "-lc", command] }), call_id: callId });
    this.push("response_item", { type: "function_call_output", call_id: callId, output: JSON.stringify({ output: "", metadata: { exit_code: exitCode, duration_seconds: 1 } }) });
    return this;
  }

  compacted(): this {
    this.push("compacted", { message: "summary" });
    return this;
  }

  text(): string {
    return this.lines.join("\n") + "\n";
  }
}
