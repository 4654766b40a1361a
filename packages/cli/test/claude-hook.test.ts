import { execFileSync } from "node:child_process";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { TaskCompletionEvent } from "@mosaicstack/telemetry-protocol";
import { sessionEventId } from "../src/capture/uuid-v5.js";
import { startLiveServer, type LiveServer } from "./helpers/live-server.js";
import { UNHURRIED_HOOK, runCli, serverEnv, tempHome, type TempHome } from "./helpers/run-cli.js";
import { ClaudeTranscript } from "./helpers/transcripts.js";

const SONNET = "claude-sonnet-4-5-20250929";
const HAIKU = "claude-haiku-4-5-20251001";

/** A git repository with tracked files, so language and size can be read. */
function gitProject(root: string): string {
  const dir = join(root, "project");
  mkdirSync(join(dir, "src"), { recursive: true });
  for (const name of ["a.ts", "b.ts", "c.tsx"]) writeFileSync(join(dir, "src", name), "export {};\n");
  writeFileSync(join(dir, "tool.py"), "print(1)\n");
  execFileSync("git", ["init", "-q"], { cwd: dir });
  execFileSync("git", ["add", "."], { cwd: dir });
  return dir;
}

function writeTranscript(home: string, transcript: ClaudeTranscript): string {
  const dir = join(home, ".claude", "projects", "-project");
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `${transcript.sessionId}.jsonl`);
  writeFileSync(file, transcript.text());
  return file;
}

function hookInput(event: string, transcript: ClaudeTranscript, path: string, extra: Record<string, unknown> = {}): string {
  return JSON.stringify({ session_id: transcript.sessionId, transcript_path: path, cwd: transcript.cwd, hook_event_name: event, ...extra });
}

describe("mosaic claude-code hook against the real server", () => {
  let server: LiveServer;
  let temp: TempHome;
  let project: string;

  beforeAll(async () => {
    server = await startLiveServer();
    temp = tempHome();
    project = gitProject(temp.home);
  });
  afterAll(async () => {
    await server.close();
    temp.cleanup();
  });

  const received = (sessionId: string): TaskCompletionEvent | undefined =>
    server.received.find((e) => e.event_id === sessionEventId("claude_code", sessionId));

  it("turns a transcript into one event: de-duplicated tokens, sidechains, compactions, gates, cost, outcome", async () => {
    const t = new ClaudeTranscript("0b6a3c5e-1111-4c1f-9e3a-000000000001", project)
      .user("add the feature")
      .assistant(SONNET, { input: 100, cacheWrite: 1000, cacheRead: 5000, output: 200 }, { copies: 3 })
      .synthetic()
      .bash(SONNET, "npm test", false)
      .bash(SONNET, "npm run lint && npx tsc --noEmit", true)
      .assistant(HAIKU, { input: 300, output: 50 }, { sidechain: true, copies: 2 })
      .compact()
      .apiError()
      .bash(SONNET, "npm test", true)
      .bash(SONNET, "pnpm build", false)
      .assistant(SONNET, { input: 20, cacheRead: 100_000, output: 100 });
    const path = writeTranscript(temp.home, t);
    const run = await runCli(["claude-code", "hook"], { env: { ...temp.env, ...serverEnv(server), ...UNHURRIED_HOOK }, stdin: hookInput("SessionEnd", t, path, { reason: "exit" }) });
    expect(run.stderr).toBe("");
    expect(run.code).toBe(0);
    const event = received(t.sessionId);
    expect(event).toBeDefined();
    expect(event).toMatchObject({
      harness: "claude_code",
      model: SONNET,
      provider: "anthropic",
      task_type: "unknown",
      complexity: "medium",
      // 100+1000+5000 + 4 bash requests of 10 + 300 (sidechain) + 20+100000; the streamed copies count once.
      actual_input_tokens: 106_460,
      actual_output_tokens: 200 + 4 * 5 + 50 + 100,
      estimated_input_tokens: 0,
      estimated_output_tokens: 0,
      estimated_cost_usd_micros: 0,
      quality_gates_run: ["test", "lint", "typecheck", "build"],
      quality_gates_failed: ["build"],
      quality_gate_passed: false,
      outcome: "failure",
      context_compactions: 1,
      context_rotations: 0,
      retry_count: 1,
      language: "typescript",
      repo_size_category: "tiny",
    });
    // Sonnet 4.5: 160 input x $3 + 1000 cache write x $3.75 + 105000 cache read x $0.30 + 320 output x $15
    // per million = 40530 micros; Haiku 4.5: 300 x $1 + 50 x $5 = 550.
    expect(event?.actual_cost_usd_micros).toBe(41_080);
    // The capture log names the table that priced it.
    const log = readFileSync(join(temp.home, ".local", "state", "mosaic-telemetry", "captured.jsonl"), "utf8").trim().split("\n").map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(log.find((entry) => entry["event_id"] === event?.event_id)).toMatchObject({
      source: "claude-code SessionEnd",
      session: t.sessionId,
      model: SONNET,
      cost_usd_micros: 41_080,
      price_table: expect.stringMatching(/^@pydantic\/genai-prices@\d/),
    });
    expect(event?.context_utilization_final).toBeCloseTo(100_020 / 200_000, 6);
    // 26 lines one second apart: the last minus the first.
    expect(event?.task_duration_ms).toBe((t.text().trim().split("\n").length - 1) * 1000);
    expect(event?.timestamp).toBe(new Date(Date.parse("2026-11-30T10:00:00.000Z") + (t.text().trim().split("\n").length - 1) * 1000).toISOString());
    expect(await server.storedCount()).toBeGreaterThanOrEqual(1);
  });

  it("calls a session that ended on an API error a failure, and one whose gates pass a success", async () => {
    const failed = new ClaudeTranscript("0b6a3c5e-1111-4c1f-9e3a-000000000002", project).user("go").assistant(SONNET, { input: 10, output: 10 }).apiError();
    const passed = new ClaudeTranscript("0b6a3c5e-1111-4c1f-9e3a-000000000003", project).user("go").bash(SONNET, "cargo test", false).bash(SONNET, "cargo test", true);
    for (const t of [failed, passed]) {
      const run = await runCli(["claude-code", "hook"], { env: { ...temp.env, ...serverEnv(server), ...UNHURRIED_HOOK }, stdin: hookInput("SessionEnd", t, writeTranscript(temp.home, t)) });
      expect(run.code).toBe(0);
    }
    expect(received(failed.sessionId)).toMatchObject({ outcome: "failure", retry_count: 0, quality_gates_run: [], quality_gate_passed: false });
    expect(received(passed.sessionId)).toMatchObject({ outcome: "success", quality_gates_run: ["test"], quality_gates_failed: [], quality_gate_passed: true });
  });

  it("on SessionStart prints the prediction and records it as the session's estimate", async () => {
    writeFileSync(join(project, ".mosaic-telemetry.json"), JSON.stringify({ task_type: "implementation", complexity: "high" }));
    // The instance's own history: the server answers from it when no crowd level can.
    const builder = (i: number): TaskCompletionEvent => ({
      event_id: `0b6a3c5e-2222-4c1f-9e3a-${String(i).padStart(12, "0")}`,
      instance_id: server.instanceId,
      schema_version: "1.0",
      timestamp: "2026-11-30T09:00:00.000Z",
      task_duration_ms: 60_000,
      task_type: "implementation",
      complexity: "high",
      harness: "claude_code",
      model: SONNET,
      provider: "anthropic",
      estimated_input_tokens: 1000,
      estimated_output_tokens: 1000,
      actual_input_tokens: 2000,
      actual_output_tokens: 500,
      estimated_cost_usd_micros: 0,
      actual_cost_usd_micros: 1_500_000,
      quality_gate_passed: true,
      quality_gates_run: [],
      quality_gates_failed: [],
      context_compactions: 0,
      context_rotations: 0,
      context_utilization_final: 0.5,
      outcome: "success",
      retry_count: 0,
    });
    await server.post(Array.from({ length: 12 }, (_, i) => builder(i)));
    const t = new ClaudeTranscript("0b6a3c5e-1111-4c1f-9e3a-000000000004", project).user("go").assistant(SONNET, { input: 10, output: 10 });
    const path = writeTranscript(temp.home, t);
    const env = { ...temp.env, ...serverEnv(server), ...UNHURRIED_HOOK };
    const start = await runCli(["claude-code", "hook"], { env, stdin: hookInput("SessionStart", t, path, { source: "startup", model: SONNET }) });
    expect(start.code).toBe(0);
    expect(start.stderr).toBe("");
    expect(start.stdout).toMatch(/^Mosaic Telemetry: similar implementation\/high tasks on claude-sonnet-4-5-20250929 cost median \$1\.\d\d, p90 \$1\.\d\d \(confidence \w+, 12 tasks, 1 contributors\)\.\n$/);
    const end = await runCli(["claude-code", "hook"], { env, stdin: hookInput("SessionEnd", t, path) });
    expect(end.code).toBe(0);
    const event = received(t.sessionId);
    expect(event).toMatchObject({ task_type: "implementation", complexity: "high" });
    // Medians within the sketch's 1 %, times the correction factors 2.0 (input) and 0.5 (output).
    expect(event?.estimated_input_tokens).toBeGreaterThan(3_900);
    expect(event?.estimated_input_tokens).toBeLessThan(4_100);
    expect(event?.estimated_output_tokens).toBeGreaterThan(240);
    expect(event?.estimated_output_tokens).toBeLessThan(260);
    expect(event?.estimated_cost_usd_micros).toBeGreaterThan(1_480_000);

    // Without a model in the hook input, the model of the project's most recent other session.
    const next = new ClaudeTranscript("0b6a3c5e-1111-4c1f-9e3a-000000000006", project);
    const again = await runCli(["claude-code", "hook"], { env, stdin: hookInput("SessionStart", next, join(temp.home, ".claude", "projects", "-project", `${next.sessionId}.jsonl`), { source: "startup" }) });
    expect(again.stdout).toContain(`tasks on ${SONNET} cost median`);
  });

  it("never breaks the session: bad input, a missing transcript or no configuration is one line on stderr and exit 0", async () => {
    const cases: [NodeJS.ProcessEnv, string][] = [
      [{ ...temp.env, ...serverEnv(server), ...UNHURRIED_HOOK }, "not json"],
      [{ ...temp.env, ...serverEnv(server), ...UNHURRIED_HOOK }, JSON.stringify({ hook_event_name: "SessionEnd", session_id: "x", transcript_path: "/nonexistent/x.jsonl" })],
      [{ ...temp.env, ...UNHURRIED_HOOK }, JSON.stringify({ hook_event_name: "SessionEnd", session_id: "x", transcript_path: "/nonexistent/x.jsonl" })],
    ];
    for (const [env, stdin] of cases) {
      const run = await runCli(["claude-code", "hook"], { env, stdin });
      expect(run.code).toBe(0);
      expect(run.stderr.trim().split("\n")).toHaveLength(1);
      expect(run.stderr).toMatch(/^mosaic: /);
    }
  });

  it("on Stop (installed with --per-turn) reports the turn that just ended; import --per-turn gives the same ids", async () => {
    const t = new ClaudeTranscript("0b6a3c5e-1111-4c1f-9e3a-000000000005", project)
      .user("first prompt")
      .assistant(SONNET, { input: 100, output: 10 })
      .bash(SONNET, "npm test", false) // its tool result is a user line, not a prompt
      .user("second prompt")
      .assistant(SONNET, { input: 200, output: 20 })
      .user("third prompt")
      .assistant(HAIKU, { input: 300, output: 30 }, { copies: 2 })
      .bash(HAIKU, "npm test", true);
    const path = writeTranscript(temp.home, t);
    const env = { ...temp.env, ...serverEnv(server), ...UNHURRIED_HOOK };
    const stop = await runCli(["claude-code", "hook"], { env, stdin: hookInput("Stop", t, path, { stop_hook_active: false }) });
    expect(stop).toMatchObject({ code: 0, stderr: "" });
    const prompts = t.text().trim().split("\n").map((line) => JSON.parse(line) as { uuid: string; message?: { content?: unknown } }).filter((e) => typeof e.message?.content === "string");
    expect(prompts).toHaveLength(3);
    const turnId = (n: number) => sessionEventId("claude_code", `${t.sessionId}:${prompts[n]?.uuid}`);
    const last = server.received.find((e) => e.event_id === turnId(2));
    expect(last).toMatchObject({ model: HAIKU, actual_input_tokens: 310, actual_output_tokens: 35, quality_gates_run: ["test"], outcome: "success", estimated_input_tokens: 0 });
    expect(received(t.sessionId)).toBeUndefined(); // no whole-session event

    const projects = join(temp.home, ".claude", "projects");
    const imported = await runCli(["claude-code", "import", "--per-turn", "--projects", projects, "--since", "2026-11-30"], { env });
    expect(imported.code).toBe(0);
    for (const n of [0, 1, 2]) expect(server.received.map((e) => e.event_id)).toContain(turnId(n));
    expect(server.received.find((e) => e.event_id === turnId(0))).toMatchObject({ actual_input_tokens: 110, quality_gates_failed: ["test"], outcome: "failure" });
    expect(server.received.filter((e) => e.event_id === turnId(2))).toHaveLength(2); // sent by Stop, then by the import: stored once
  });
});
