import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { sessionEventId } from "../src/capture/uuid-v5.js";
import { startLiveServer, type LiveServer } from "./helpers/live-server.js";
import { runCli, serverEnv, tempHome, type TempHome } from "./helpers/run-cli.js";
import { ClaudeTranscript, CodexRollout } from "./helpers/transcripts.js";

describe("mosaic claude-code import and codex import against the real server", () => {
  let server: LiveServer;
  let temp: TempHome;
  beforeAll(async () => {
    server = await startLiveServer();
    temp = tempHome();
  });
  afterAll(async () => {
    await server.close();
    temp.cleanup();
  });

  it("reports every session once: a second import stores nothing new", async () => {
    const ids: string[] = [];
    for (let i = 0; i < 6; i++) {
      const project = join(temp.home, ".claude", "projects", `-work-p${i % 2}`);
      mkdirSync(project, { recursive: true });
      const id = `7d0c2a1e-0000-4000-8000-00000000000${i}`;
      ids.push(id);
      const t = new ClaudeTranscript(id, join(temp.home, `p${i % 2}`), Date.parse(`2026-11-2${i}T08:00:00.000Z`)).user("go").assistant("claude-opus-4-5-20251101", { input: 100 * (i + 1), output: 10 });
      writeFileSync(join(project, `${id}.jsonl`), t.text());
    }
    // A session with no model request is not a task: nothing to report.
    writeFileSync(join(temp.home, ".claude", "projects", "-work-p0", "empty.jsonl"), new ClaudeTranscript("empty", temp.home).user("hi").text());
    const env = { ...temp.env, ...serverEnv(server) };
    const first = await runCli(["claude-code", "import"], { env });
    expect(first.stderr).toBe("");
    expect(first.code).toBe(0);
    expect(first.stdout).toBe("6 Claude Code sessions: 6 stored, 0 already stored\n");
    const second = await runCli(["claude-code", "import"], { env });
    expect(second.stdout).toBe("6 Claude Code sessions: 0 stored, 6 already stored\n");
    expect(await server.storedCount()).toBe(6);
    const sent = server.received.filter((e) => ids.map((id) => sessionEventId("claude_code", id)).includes(e.event_id));
    expect(sent).toHaveLength(12);
    expect(sent.every((e) => e.model === "claude-opus-4-5-20251101" && e.harness === "claude_code")).toBe(true);
  });

  it("--since keeps only sessions that ended on or after the date, and a bad date is refused", async () => {
    const env = { ...temp.env, ...serverEnv(server) };
    const run = await runCli(["claude-code", "import", "--since", "2026-11-24"], { env });
    expect(run.stdout).toBe("2 Claude Code sessions: 0 stored, 2 already stored\n");
    const bad = await runCli(["claude-code", "import", "--since", "last tuesday"], { env });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain("--since last tuesday is not a date");
  });

  it("imports Codex sessions: tokens from token_count events (repeats counted once), shell gates, compactions", async () => {
    const dir = join(temp.home, "codex-sessions", "2026", "11", "30");
    mkdirSync(dir, { recursive: true });
    const id = "5f3e9b1c-aaaa-4bbb-8ccc-000000000001";
    const rollout = new CodexRollout(id, temp.home, "gpt-5-codex")
      .request(10_000, 8_000, 500)
      .shell("npm test", 1)
      .request(12_000, 11_000, 700, true)
      .compacted()
      .shell("npm test", 0)
      .shell("ruff check .", 1)
      .request(1_000, 0, 100);
    writeFileSync(join(dir, `rollout-2026-11-30T12-00-00-${id}.jsonl`), rollout.text());
    const env = { ...temp.env, ...serverEnv(server) };
    const run = await runCli(["codex", "import", "--sessions", join(temp.home, "codex-sessions")], { env });
    expect(run.stderr).toBe("");
    expect(run.stdout).toBe("1 Codex sessions: 1 stored, 0 already stored\n");
    const event = server.received.find((e) => e.event_id === sessionEventId("codex", id));
    expect(event).toMatchObject({
      harness: "codex",
      model: "gpt-5-codex",
      provider: "openai",
      actual_input_tokens: 23_000,
      actual_output_tokens: 1_300,
      quality_gates_run: ["test", "lint"],
      quality_gates_failed: ["lint"],
      outcome: "failure",
      context_compactions: 1,
    });
    // gpt-5: $1.25 per million input, $0.125 cached, $10 output: 4000 x 1.25 + 19000 x 0.125 + 1300 x 10.
    expect(event?.actual_cost_usd_micros).toBe(5_000 + 2_375 + 13_000);
    expect(event?.context_utilization_final).toBeCloseTo(1_000 / 272_000, 6);
  });
});
