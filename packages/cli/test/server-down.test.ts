import { mkdirSync, readFileSync, readdirSync, writeFileSync } from "node:fs";
import { createServer, type Server, type Socket } from "node:net";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { sessionEventId } from "../src/capture/uuid-v5.js";
import { PRICE_TABLE_VERSION } from "../src/pricing/price-table.js";
import { startLiveServer, type LiveServer } from "./helpers/live-server.js";
import { UNHURRIED_HOOK, runCli, serverEnv, tempHome, type TempHome } from "./helpers/run-cli.js";
import { ClaudeTranscript } from "./helpers/transcripts.js";

// How long these runs take (Claude Code gives a SessionEnd hook 1.5 s) is measured by
// bench/cli-hook.bench.mjs (docs/benchmarks/cli-hook.md), not asserted here: on a loaded machine
// Node.js alone can take a tenth of that to start. What holds at any speed is asserted: exit 0,
// nothing on stdout, one line on stderr, the event kept in the spool.

describe("the hook when the server is down or does not answer", () => {
  let server: LiveServer;
  let temp: TempHome;
  let silent: Server;
  const sockets: Socket[] = [];
  let silentUrl = "";

  beforeAll(async () => {
    server = await startLiveServer();
    temp = tempHome();
    // Accepts connections and never answers: a server that hangs.
    silent = createServer((socket) => void sockets.push(socket));
    await new Promise<void>((resolve) => silent.listen(0, "127.0.0.1", resolve));
    silentUrl = `http://127.0.0.1:${(silent.address() as { port: number }).port}`;
  });
  afterAll(async () => {
    for (const socket of sockets) socket.destroy();
    await new Promise((resolve) => silent.close(resolve));
    await server.close();
    temp.cleanup();
  });

  function session(id: string): string {
    const t = new ClaudeTranscript(id, temp.home).user("go").assistant("claude-sonnet-4-5-20250929", { input: 50, output: 20 });
    const dir = join(temp.home, ".claude", "projects", "-x");
    mkdirSync(dir, { recursive: true });
    const path = join(dir, `${id}.jsonl`);
    writeFileSync(path, t.text());
    return JSON.stringify({ session_id: id, transcript_path: path, cwd: temp.home, hook_event_name: "SessionEnd", reason: "exit" });
  }

  it("ends with exit 0 and one line on stderr when nothing listens, the event kept in the spool", async () => {
    await server.down();
    try {
      const run = await runCli(["claude-code", "hook"], { env: { ...temp.env, ...serverEnv(server) }, stdin: session("9a1b2c3d-0000-4000-8000-000000000001") });
      expect(run.code).toBe(0);
        expect(run.stderr.trim().split("\n")).toHaveLength(1);
      expect(run.stderr).toMatch(/not delivered yet.*; it stays in the spool\n$/);
      const spool = join(temp.home, ".local", "state", "mosaic-telemetry", "spool");
      expect(readdirSync(spool).length).toBeGreaterThan(0);
      // The event's spool entry names the price table that priced it.
      const entries = readdirSync(spool).map((name) => readFileSync(join(spool, name), "utf8")).join("");
      expect(entries).toContain(`"price_table":${JSON.stringify(PRICE_TABLE_VERSION)}`);
      // status counts what waits, and leaves it for the next run (the last case below).
      const status = await runCli(["status"], { env: { ...temp.env, ...serverEnv(server) } });
      expect(status.stdout).toMatch(/server +unreachable/);
      expect(status.stdout).toContain("1 events waiting; the next hook, import or send delivers them");
    } finally {
      await server.up();
    }
  });

  it("ends with exit 0 and one line on stderr when the server accepts the connection and never answers", async () => {
    const run = await runCli(["claude-code", "hook"], { env: { ...temp.env, ...serverEnv({ ...server, url: silentUrl }) }, stdin: session("9a1b2c3d-0000-4000-8000-000000000002") });
    expect(run.code).toBe(0);
    expect(run.stderr).toMatch(/^mosaic: .*\n$/);
  });

  it("SessionStart ends too when the server never answers, with no prediction line", async () => {
    const input = JSON.parse(session("9a1b2c3d-0000-4000-8000-000000000009")) as Record<string, unknown>;
    const stdin = JSON.stringify({ ...input, hook_event_name: "SessionStart", source: "startup", model: "claude-sonnet-4-5-20250929" });
    const run = await runCli(["claude-code", "hook"], { env: { ...temp.env, ...serverEnv({ ...server, url: silentUrl }) }, stdin });
    expect(run.code).toBe(0);
    expect(run.stdout).toBe("");
    expect(run.stderr).toMatch(/^mosaic: .*\n$/);
  });

  it("the next run delivers what the server missed, with the same event ids", async () => {
    // The two sessions above are in the spool; any command that opens a client sends them (given
    // the time: what this asserts is that they are sent, not how fast).
    const run = await runCli(["claude-code", "hook"], { env: { ...temp.env, ...serverEnv(server), ...UNHURRIED_HOOK }, stdin: session("9a1b2c3d-0000-4000-8000-000000000003") });
    expect(run.code).toBe(0);
    const ids = server.received.map((e) => e.event_id);
    for (const n of [1, 2, 3]) expect(ids).toContain(sessionEventId("claude_code", `9a1b2c3d-0000-4000-8000-00000000000${n}`));
    expect(await server.storedCount()).toBe(3);
  });

  it("a backfill larger than the SDK's default capacity survives the server being down, and a later hook takes it all over", async () => {
    const lines = Array.from({ length: 12_000 }, (_, i) =>
      JSON.stringify({
        task_duration_ms: i, task_type: "testing", complexity: "low", harness: "custom", model: "gpt-5", provider: "openai",
        estimated_input_tokens: 0, estimated_output_tokens: 0, actual_input_tokens: 100, actual_output_tokens: 10,
        estimated_cost_usd_micros: 0, actual_cost_usd_micros: 1, quality_gate_passed: false, quality_gates_run: [], quality_gates_failed: [],
        context_compactions: 0, context_rotations: 0, context_utilization_final: 0, outcome: "success", retry_count: 0,
      }),
    ).join("\n");
    const before = await server.storedCount();
    await server.down();
    let down;
    try {
      down = await runCli(["send", "-"], { env: { ...temp.env, ...serverEnv(server), MOSAIC_SEND_TIMEOUT_MS: "300" }, stdin: lines });
    } finally {
      await server.up();
    }
    expect(down.stdout).toBe("12000 events: 0 stored, 0 already stored, 12000 left in the spool for the next run\n");
    // A hook run (0.7 s to send) takes over all 12,000 without evicting any; what it cannot send
    // in time stays in the spool, and the next command sends the rest.
    const hook = await runCli(["claude-code", "hook"], { env: { ...temp.env, ...serverEnv(server) }, stdin: session("9a1b2c3d-0000-4000-8000-000000000010") });
    expect(hook.code).toBe(0);
    const rest = await runCli(["send", "-"], { env: { ...temp.env, ...serverEnv(server) }, stdin: "" });
    expect(rest.code).toBe(0);
    // Whether the hook sent all in its 0.7 s depends on the machine's speed: the next command
    // sends whatever is left (a batch whose answer the hook did not wait for is stored and still
    // spooled: resent, it is a duplicate), or finds nothing left.
    expect(rest.stdout).toMatch(/^(0 events and \d+ events earlier runs left in the spool: \d+ stored, \d+ already stored|0 events: 0 stored, 0 already stored)\n$/);
    expect(await server.storedCount()).toBe(before + 12_001);
  }, 60_000);
});
