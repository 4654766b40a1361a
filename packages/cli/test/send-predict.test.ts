import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { validEvent } from "@mosaicstack/telemetry-protocol/testing";
import { startLiveServer, type LiveServer } from "./helpers/live-server.js";
import { runCli, serverEnv, tempHome, type TempHome } from "./helpers/run-cli.js";

/** A task's fields as a script in any language would write them (no event_id, instance or timestamp). */
function fields(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  const { event_id: _id, instance_id: _instance, schema_version: _schema, timestamp: _time, ...task } = validEvent({ quality_gates_run: ["test"] });
  return { ...task, ...overrides };
}

describe("mosaic send and mosaic predict against the real server", () => {
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

  it("sends the good lines, reports each bad one with its number and reason, and exits 1", async () => {
    const lines = [
      JSON.stringify(fields()),
      JSON.stringify(fields({ actual_input_tokens: -5 })),
      "",
      "{ not json",
      JSON.stringify({ ...fields(), event_id: "3b2f1a0e-1234-4abc-8def-0123456789ab", timestamp: "2026-11-30T10:00:00.000Z" }),
      JSON.stringify(fields({ quality_gates_failed: ["lint"] })),
      JSON.stringify(fields({ instance_id: "11111111-1111-4111-8111-111111111111" })),
    ];
    const file = join(temp.home, "events.jsonl");
    writeFileSync(file, lines.join("\n") + "\n");
    const env = { ...temp.env, ...serverEnv(server) };
    const dry = await runCli(["send", file, "--dry-run"], { env });
    expect(dry.code).toBe(1);
    expect(dry.stdout).toBe("2 good lines, 4 refused (dry run: nothing sent)\n");
    expect(server.received).toHaveLength(0);

    const run = await runCli(["send", file], { env });
    expect(run.code).toBe(1);
    expect(run.stderr.split("\n").filter(Boolean)).toEqual([
      "line 2: actual_input_tokens: must be an integer >= 0",
      "line 4: not JSON",
      'line 6: quality_gates_failed: "lint" is not in quality_gates_run',
      "line 7: instance_id: is not the configured instance (leave it out to use it)",
    ]);
    expect(run.stdout).toBe("2 events: 2 stored, 0 already stored\n");
    expect(server.received.map((e) => e.event_id)).toContain("3b2f1a0e-1234-4abc-8def-0123456789ab");
    expect(await server.storedCount()).toBe(2);
  });

  it("reads stdin with `-`, and exits 0 when every line is good", async () => {
    const env = { ...temp.env, ...serverEnv(server) };
    // The figures the predict case below reads back: cost $0.012, input 1.50 and output 0.75 of the estimates.
    const task = fields({
      model: "claude-sonnet-4-5", provider: "anthropic", task_type: "debugging", complexity: "high",
      estimated_input_tokens: 1000, actual_input_tokens: 1500, estimated_output_tokens: 400, actual_output_tokens: 300, actual_cost_usd_micros: 12_000,
    });
    const stdin = Array.from({ length: 30 }, () => JSON.stringify(task)).join("\n");
    const run = await runCli(["send", "-"], { env, stdin });
    expect(run.code).toBe(0);
    expect(run.stdout).toBe("30 events: 30 stored, 0 already stored\n");
  });

  it("predict prints a table, or the API's JSON with --json", async () => {
    const env = { ...temp.env, ...serverEnv(server) };
    const args = ["predict", "--model", "claude-sonnet-4-5", "--provider", "anthropic", "--task-type", "debugging", "--complexity", "high"];
    const table = await runCli(args, { env });
    expect(table.code).toBe(0);
    expect(table.stdout).toContain("anthropic claude-sonnet-4-5, debugging, high");
    expect(table.stdout).toMatch(/\n\s+p10\s+p25\s+median\s+p75\s+p90\n/);
    expect(table.stdout).toMatch(/\ncost\s+\$0\.012\s+\$0\.012\s+\$0\.012\s+\$0\.012\s+\$0\.012\n/);
    // Quantiles come from a sketch with 1 % relative error: 1500 reads as 14xx or 15xx.
    expect(table.stdout).toMatch(/\ninput tokens(\s+1[45]\d\d){5}\n/);
    expect(table.stdout).toContain("correction factors  input 1.50, output 0.75 (actual / estimated)");
    expect(table.stdout).toContain("quality             gates passed 100 %, success 100 %");
    expect(table.stdout).toContain("fallback level      0 (matched on provider, model, task_type, complexity)");
    expect(table.stdout).toMatch(/confidence\s+\w+, 30 tasks from 1 contributors/);
    const json = await runCli([...args, "--json"], { env });
    const answer = JSON.parse(json.stdout) as { metadata: { sample_size: number }; prediction: { correction_factors: { input: number } } };
    expect(answer.metadata.sample_size).toBe(30);
    expect(answer.prediction.correction_factors.input).toBe(1.5);
    const none = await runCli(["predict", "--model", "nothing-known", "--provider", "custom"], { env });
    expect(none.code).toBe(0);
    expect(none.stdout).toContain("no prediction: not enough data at any fallback level");
  });

  it("refuses unknown options and bad values with a line naming them", async () => {
    const env = { ...temp.env, ...serverEnv(server) };
    expect(await runCli(["predict", "--model", "m", "--provider", "nope"], { env })).toMatchObject({ code: 2, stderr: expect.stringContaining("--provider must be one of") });
    expect(await runCli(["send", "--fast"], { env })).toMatchObject({ code: 2, stderr: "mosaic send: unknown option --fast (see `mosaic send --help`)\n" });
    expect(await runCli(["predict"], { env })).toMatchObject({ code: 2, stderr: expect.stringContaining("--model is required") });
  });
});
