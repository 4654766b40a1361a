/**
 * Issue 11, "Speed": the `mosaic` CLI's hook and import, measured as a user meets them.
 *
 * - `mosaic claude-code hook` on SessionEnd for a generated 5 MB transcript, wall time from
 *   process start (spawn) to exit: server up (target: under 300 ms), nothing listening, and a
 *   server that accepts and never answers (target: under Claude Code's 1.5 s SessionEnd limit).
 *   Beside it, `node -e ""` in the same rounds: the floor any Node.js command pays.
 * - `mosaic claude-code import` of 1,000 generated sessions, process start to exit, server up:
 *   sessions/s (target: at least 500 sessions/s parsed; the figure includes start-up, sending
 *   and the server's ingest, so parsing alone is faster).
 *
 * The server is the real one (packages/server/dist) in this process over a SQLite file in a temp
 * folder; the CLI is packages/cli/dist (build both first: `npm run build`).
 *   node bench/cli-hook.bench.mjs [--rounds 15] [--sessions 1000]
 */
/* global fetch, performance */
import { spawn } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { claudeTranscript } from "./lib/claude-transcript.mjs";
import { fmt, printMachine, printTable } from "./lib/report.mjs";
import { loadServer } from "./lib/server-dist.mjs";
import { intArg, median } from "./lib/stats.mjs";

const CLI = fileURLToPath(new URL("../packages/cli/dist/main.js", import.meta.url));
if (!existsSync(CLI)) {
  console.error("packages/cli/dist is missing: run `npm run build` first");
  process.exit(2);
}
const ROUNDS = intArg("rounds", 15);
const SESSIONS = intArg("sessions", 1000);
const ADMIN = "bench-admin-token-" + "0123456789abcdef".repeat(2);

function run(args, env, stdin = "") {
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, { env, stdio: ["pipe", "ignore", "pipe"] });
    let stderr = "";
    child.stderr.on("data", (c) => (stderr += c));
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, ms: performance.now() - started, stderr }));
    child.stdin.end(stdin);
  });
}

const percentile = (values, q) => [...values].sort((a, b) => a - b)[Math.min(values.length - 1, Math.floor(q * values.length))];

await printMachine();
const dir = mkdtempSync(join(tmpdir(), "mosaic-cli-bench-"));
const { buildApp, openStorage, createPredictor } = await loadServer();
const storage = await openStorage({ engine: "sqlite", path: join(dir, "telemetry.db") });
const app = await buildApp({
  config: { bodyLimitBytes: 1024 * 1024, rateLimits: { eventsPerMinute: 1e9, predictionsPerMinute: 1e9 }, logLevel: "warn" },
  storage,
  predictor: createPredictor(storage),
  adminToken: ADMIN,
  logger: false,
});
const url = await app.listen({ port: 0, host: "127.0.0.1" });
const created = await (
  await fetch(`${url}/v1/admin/instances`, { method: "POST", headers: { "content-type": "application/json", authorization: `Bearer ${ADMIN}` }, body: JSON.stringify({ name: "bench" }) })
).json();
// What the server itself takes to store one event (its WAL fdatasync included), asked from this
// process: the part of the hook's time with the server up that no CLI change can remove.
const ingestMs = [];
for (let i = 0; i < 5; i++) {
  const started = performance.now();
  const response = await fetch(`${url}/v1/events/batch`, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${created.api_key.key}` },
    body: JSON.stringify({ events: [{ event_id: `d0000000-0000-4000-8000-00000000000${i}`, instance_id: created.instance.id, schema_version: "1.0", timestamp: "2026-11-30T10:00:00.000Z", task_duration_ms: 1, task_type: "unknown", complexity: "medium", harness: "claude_code", model: "m", provider: "anthropic", estimated_input_tokens: 0, estimated_output_tokens: 0, actual_input_tokens: 1, actual_output_tokens: 1, estimated_cost_usd_micros: 0, actual_cost_usd_micros: 0, quality_gate_passed: false, quality_gates_run: [], quality_gates_failed: [], context_compactions: 0, context_rotations: 0, context_utilization_final: 0, outcome: "success", retry_count: 0 }] }),
  });
  await response.arrayBuffer();
  ingestMs.push(performance.now() - started);
}
const silent = createServer(() => {});
await new Promise((resolve) => silent.listen(0, "127.0.0.1", resolve));
const closed = createServer();
await new Promise((resolve) => closed.listen(0, "127.0.0.1", resolve));
const closedPort = closed.address().port;
await new Promise((resolve) => closed.close(resolve));

const home = join(dir, "home");
const baseEnv = { PATH: process.env.PATH, HOME: home, XDG_CONFIG_HOME: join(home, ".config"), XDG_STATE_HOME: join(home, ".local", "state"), TELEMETRY_API_KEY: created.api_key.key, TELEMETRY_INSTANCE_ID: created.instance.id };
// Each subject has its own state folder, so the server-up rounds do not also deliver what the
// other subjects' rounds left in a shared spool (the tests cover that delivery).
const targets = {
  "server up": { ...baseEnv, XDG_STATE_HOME: join(home, "state-up"), TELEMETRY_API_URL: url },
  "nothing listening": { ...baseEnv, XDG_STATE_HOME: join(home, "state-closed"), TELEMETRY_API_URL: `http://127.0.0.1:${closedPort}` },
  "server never answers": { ...baseEnv, XDG_STATE_HOME: join(home, "state-silent"), TELEMETRY_API_URL: `http://127.0.0.1:${silent.address().port}` },
};

// The 5 MB transcript; each round reports a new session id (a new event), as a real SessionEnd does.
const project = join(home, ".claude", "projects", "-bench");
mkdirSync(project, { recursive: true });
const sessionId = "b0000000-0000-4000-8000-000000000000";
const transcript = join(project, `${sessionId}.jsonl`);
const text = claudeTranscript(sessionId, home, 5 * 1024 * 1024);
writeFileSync(transcript, text);
console.log(`transcript: ${fmt(text.length / 1024 / 1024, 2)} MB, ${fmt(text.split("\n").length - 1)} lines; ${ROUNDS} rounds, subjects alternating`);

const times = { "node -e \"\" (floor)": [], ...Object.fromEntries(Object.keys(targets).map((k) => [k, []])) };
for (let round = 0; round < ROUNDS + 1; round++) {
  const warm = round === 0; // the first round fills the page cache: not counted
  const floor = await run(["-e", ""], baseEnv);
  if (!warm) times['node -e "" (floor)'].push(floor.ms);
  for (const [name, env] of Object.entries(targets)) {
    const stdin = JSON.stringify({ session_id: `b0000000-0000-4000-8000-${String(round).padStart(4, "0")}${name.length.toString().padStart(8, "0")}`, transcript_path: transcript, cwd: home, hook_event_name: "SessionEnd", reason: "exit" });
    const result = await run([CLI, "claude-code", "hook"], env, stdin);
    if (result.code !== 0) throw new Error(`hook exited ${result.code}: ${result.stderr}`);
    if (!warm) times[name].push(result.ms);
  }
}
printTable(
  ["subject", "median ms", "p90 ms", "max ms"],
  Object.entries(times).map(([name, values]) => [name === "node -e \"\" (floor)" ? name : `hook, ${name}`, fmt(median(values)), fmt(percentile(values, 0.9)), fmt(Math.max(...values))]),
);
console.log(`one POST /v1/events/batch of one event, from the bench process: median ${fmt(median(ingestMs.slice(1)), 1)} ms (after one warm-up)`);
const line = (label, value, op, goal) => console.log(`- ${label}: ${fmt(value)} ms (${op} ${goal} ms) ${value < goal ? "target met" : "target missed"}`);
line("hook, 5 MB transcript, server up, median", median(times["server up"]), "<", 300);
line("hook, nothing listening, max", Math.max(...times["nothing listening"]), "<", 1500);
line("hook, server never answers, max", Math.max(...times["server never answers"]), "<", 1500);

// The import: 1,000 sessions of 20 to 60 KB in 10 project folders.
const projects = join(dir, "import-projects");
let bytes = 0;
for (let i = 0; i < SESSIONS; i++) {
  const folder = join(projects, `-work-p${i % 10}`);
  if (i < 10) mkdirSync(folder, { recursive: true });
  const id = `c0000000-0000-4000-8000-${String(i).padStart(12, "0")}`;
  const session = claudeTranscript(id, join(dir, `p${i % 10}`), 20_000 + (i % 5) * 10_000, Date.parse("2026-11-01T00:00:00Z") + i * 60_000, 2000);
  bytes += session.length;
  writeFileSync(join(folder, `${id}.jsonl`), session);
}
const imported = await run([CLI, "claude-code", "import", "--projects", projects], targets["server up"]);
if (imported.code !== 0) throw new Error(`import exited ${imported.code}: ${imported.stderr}`);
const usage = await (await fetch(`${url}/v1/admin/instances/${created.instance.id}/usage`, { headers: { authorization: `Bearer ${ADMIN}` } })).json();
const rate = SESSIONS / (imported.ms / 1000);
console.log(`\nimport: ${fmt(SESSIONS)} sessions, ${fmt(bytes / 1024 / 1024, 1)} MB, ${fmt(imported.ms)} ms from process start to exit (events stored for the instance, hook rounds and the 5 ingest probes included: ${fmt(usage.events)})`);
console.log(`- import, sessions/s (start-up, parse, send, ingest): ${fmt(rate)} (>= 500) ${rate >= 500 ? "target met" : "target missed"}`);
console.log(`RESULT ${JSON.stringify({ hook: Object.fromEntries(Object.entries(times).map(([k, v]) => [k, median(v)])), importMs: imported.ms, importRate: rate })}`);

silent.close();
await app.close();
await storage.close();
rmSync(dir, { recursive: true, force: true });
