import { mkdirSync, utimesSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { sessionEventId } from "../src/capture/uuid-v5.js";
import { startLiveServer, type LiveServer } from "./helpers/live-server.js";
import { UNHURRIED_HOOK, runCli, serverEnv, tempHome, type TempHome } from "./helpers/run-cli.js";
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

  it("codex notify reports the sessions idle for 15 minutes since its previous run, each once", async () => {
    const dir = join(temp.home, "codex-notify", "2026", "12", "01");
    mkdirSync(dir, { recursive: true });
    const file = (id: string): string => join(dir, `rollout-2026-12-01T09-00-00-${id}.jsonl`);
    const idle = "5f3e9b1c-bbbb-4bbb-8ccc-000000000001";
    const current = "5f3e9b1c-bbbb-4bbb-8ccc-000000000002";
    writeFileSync(file(idle), new CodexRollout(idle, temp.home, "gpt-5.1-codex").request(5000, 0, 200).text());
    writeFileSync(file(current), new CodexRollout(current, temp.home, "gpt-5.1-codex").request(7000, 0, 300).text());
    const hourAgo = new Date(Date.now() - 60 * 60 * 1000);
    utimesSync(file(idle), hourAgo, hourAgo);
    const env = { ...temp.env, ...serverEnv(server), ...UNHURRIED_HOOK };
    const notify = () => runCli(["codex", "notify", "--sessions", join(temp.home, "codex-notify"), JSON.stringify({ type: "agent-turn-complete", "thread-id": current })], { env });
    const first = await notify();
    expect(first).toMatchObject({ code: 0, stderr: "" });
    const ids = () => server.received.map((e) => e.event_id);
    expect(ids()).toContain(sessionEventId("codex", idle));
    expect(ids()).not.toContain(sessionEventId("codex", current));
    const before = server.received.length;
    await notify();
    expect(server.received.length).toBe(before); // nothing new went idle
    // The session last changed 15 minutes before now: after the previous run's window (which ended
    // 15 minutes before that run read its clock, before it exited) and inside the next run's (which
    // reads its clock after this), whatever the machine's speed: no waiting needed.
    const finished = new Date(Date.now() - 15 * 60 * 1000);
    utimesSync(file(current), finished, finished);
    await notify();
    expect(ids()).toContain(sessionEventId("codex", current));
  });

  it("status says the server answers and the key is accepted", async () => {
    const run = await runCli(["status"], { env: { ...temp.env, ...serverEnv(server) } });
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/server +reachable \(\d+ ms\)/);
    expect(run.stdout).toMatch(/key check +accepted/);
    const refused = await runCli(["status"], { env: { ...temp.env, ...serverEnv({ ...server, apiKey: "msk_" + "x".repeat(40) + "_abcdef" }) } });
    expect(refused.code).toBe(1);
    expect(refused.stdout).toMatch(/key check +refused \(401\)/);
  });
});
