/**
 * The dashboard's first load (issue 14): the JavaScript a first visit downloads, gzipped
 * (target < 300 KB), and the time to interactive in Chromium against a local server (target
 * < 1 s): from navigation start to the signed-in usage view showing its totals and a drawn chart.
 * Each round is a fresh browser context (empty cache, the key already in the tab's
 * sessionStorage, as after signing in), against the production server (packages/server/dist/main.js,
 * SQLite in a temp dir) holding 2,000 events of one instance over 30 days.
 *
 *   npm run build && node bench/dashboard-load.bench.mjs [--rounds 9] [--events 2000] [--timings]
 */
/* global document, performance, sessionStorage -- the functions passed to page.* run in the browser */
import { spawn } from "node:child_process";
import { randomUUID } from "node:crypto";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { gzipSync } from "node:zlib";
import { fmt, printMachine, printTable } from "./lib/report.mjs";
import { intArg, median } from "./lib/stats.mjs";

const ROUNDS = intArg("rounds", 9);
const EVENTS = intArg("events", 2000);
// --timings: each round's navigation, resource and paint timings, to see where the time goes.
const TIMINGS = process.argv.includes("--timings");
const JS_TARGET_BYTES = 300 * 1024;
const TTI_TARGET_MS = 1000;
const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const mainJs = join(root, "packages/server/dist/main.js");
const CHROMIUM = process.env.CHROMIUM_PATH || ["/usr/bin/chromium", "/usr/bin/chromium-browser"].find((path) => existsSync(path));
const FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"];

await printMachine();
if (!existsSync(join(root, "packages/dashboard/dist/index.html")) || !existsSync(mainJs)) {
  console.log("skipped: build first (npm run build)");
  process.exit(0);
}
if (!CHROMIUM) {
  console.log("skipped: no Chromium found (install Debian's chromium package or set CHROMIUM_PATH)");
  process.exit(0);
}
const { chromium } = await import("playwright-core");

const dataDir = mkdtempSync(join(tmpdir(), "mosaic-bench-dashboard-"));
const ADMIN_TOKEN = "bench-dashboard-admin-token-0123456789abcdef";

/** The production server as `npm start` runs it, on a free loopback port. */
async function startServer() {
  const child = spawn(process.execPath, [mainJs], {
    env: { ...process.env, HOST: "127.0.0.1", PORT: "0", DATA_DIR: dataDir, TELEMETRY_ADMIN_TOKEN: ADMIN_TOKEN },
    stdio: ["ignore", "pipe", "inherit"],
  });
  let out = "";
  const url = await new Promise((resolve, reject) => {
    const read = (chunk) => {
      out += chunk;
      const match = /"url":"(http:\/\/[^"]+)"|listening on (http:\/\/\S+)/.exec(out);
      if (match === null) return;
      resolve(match[1] ?? match[2]);
      // Later request log lines are drained, not kept.
      child.stdout.off("data", read);
      child.stdout.resume();
    };
    child.stdout.on("data", read);
    child.once("exit", (code) => reject(new Error(`server exited early (${code}): ${out}`)));
  });
  return { url, close: () => new Promise((resolve) => (child.once("exit", resolve), child.kill("SIGTERM"))) };
}

async function seed(url) {
  const admin = { "content-type": "application/json", authorization: `Bearer ${ADMIN_TOKEN}` };
  const created = await (await globalThis.fetch(`${url}/v1/admin/instances`, { method: "POST", headers: admin, body: JSON.stringify({ name: "bench" }) })).json();
  const instanceId = created.instance.id;
  const key = created.api_key.key;
  const now = Date.now();
  const models = ["claude-sonnet-4-5-20250929", "gpt-5", "claude-haiku-4-5"];
  const events = Array.from({ length: EVENTS }, (_, i) => ({
    event_id: randomUUID(),
    instance_id: instanceId,
    schema_version: "1.0",
    timestamp: new Date(now - 60_000 - ((i * 7_919_000) % (29 * 86_400_000))).toISOString(),
    task_duration_ms: 60_000 + (i % 50) * 10_000,
    task_type: ["implementation", "debugging", "testing"][i % 3],
    complexity: ["low", "medium", "high"][i % 3],
    harness: ["claude_code", "codex"][i % 2],
    model: models[i % 3],
    provider: i % 3 === 1 ? "openai" : "anthropic",
    estimated_input_tokens: 50_000 + (i % 7) * 1000,
    estimated_output_tokens: 10_000,
    actual_input_tokens: 48_000 + (i % 11) * 1500,
    actual_output_tokens: 9_000 + (i % 5) * 700,
    estimated_cost_usd_micros: 300_000,
    actual_cost_usd_micros: 280_000 + (i % 13) * 9_000,
    quality_gate_passed: i % 4 !== 0,
    quality_gates_run: ["build", "test"],
    quality_gates_failed: [],
    context_compactions: 0,
    context_rotations: 0,
    context_utilization_final: 0.5,
    outcome: i % 5 === 0 ? "failure" : "success",
    retry_count: 0,
  }));
  for (let i = 0; i < events.length; i += 100) {
    const response = await globalThis.fetch(`${url}/v1/events/batch`, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${key}` },
      body: JSON.stringify({ events: events.slice(i, i + 100) }),
    });
    if (response.status !== 200 && response.status !== 207) throw new Error(`seeding: HTTP ${response.status} ${await response.text()}`);
  }
  return { instanceId, key };
}

const server = await startServer();
const browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: FLAGS });
try {
  const { instanceId, key } = await seed(server.url);
  const credential = JSON.stringify({ kind: "key", token: key, instanceId });
  const rounds = [];
  const works = [];
  let scripts = [];
  // One warm-up round (the server's first reads, the browser's first page), not counted.
  for (let round = 0; round <= ROUNDS; round += 1) {
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    await context.addInitScript((value) => sessionStorage.setItem("mosaic-telemetry.credential", value), credential);
    const page = await context.newPage();
    // The renderer's own main-thread time (Chrome DevTools Protocol): what the page costs, apart
    // from waiting for the CPU on a shared machine.
    const cdp = await context.newCDPSession(page);
    await cdp.send("Performance.enable");
    const loaded = [];
    page.on("response", (response) => {
      if (response.request().resourceType() === "script") loaded.push(response);
    });
    await page.goto(`${server.url}/`);
    const ms = await page.waitForFunction(
      () => {
        const ready =
          document.querySelector('[data-testid="total-cost"]') !== null &&
          document.querySelector('[aria-busy="true"]') === null &&
          document.querySelector('[data-testid="usage-chart"] canvas') !== null;
        return ready ? performance.now() : false;
      },
      undefined,
      { polling: "raf", timeout: 30_000 },
    ).then((handle) => handle.jsonValue());
    const { metrics } = await cdp.send("Performance.getMetrics");
    const metric = (name) => (metrics.find((m) => m.name === name)?.value ?? 0) * 1000;
    const work = { task: metric("TaskDuration"), script: metric("ScriptDuration"), layout: metric("LayoutDuration") + metric("RecalcStyleDuration") };
    if (TIMINGS) {
      console.log(await page.evaluate(() => JSON.stringify({
        nav: performance.getEntriesByType("navigation").map((e) => ({ resp: e.responseEnd, dcl: e.domContentLoadedEventEnd, load: e.loadEventEnd })),
        res: performance.getEntriesByType("resource").map((e) => ({ n: e.name.slice(-40), s: Math.round(e.startTime), d: Math.round(e.duration) })),
        paint: performance.getEntriesByType("paint").map((e) => ({ n: e.name, t: Math.round(e.startTime) })),
      })), ms);
    }
    if (round === 0) {
      scripts = await Promise.all(
        loaded.map(async (response) => {
          const body = await response.body();
          const sizes = await response.request().sizes();
          return { url: new URL(response.url()).pathname, raw: body.length, gzip: gzipSync(body, { level: 9 }).length, wire: sizes.responseBodySize, encoding: response.headers()["content-encoding"] ?? "none" };
        }),
      );
    } else {
      rounds.push(ms);
      works.push(work);
    }
    await context.close();
  }

  const total = (field) => scripts.reduce((sum, s) => sum + s[field], 0);
  console.log(`\nfirst load: ${scripts.length} script file(s), ${EVENTS} events stored, ${ROUNDS} rounds (fresh context each)\n`);
  printTable(
    ["script", "raw bytes", "gzip -9 bytes", "over the wire (encoding)"],
    [...scripts.map((s) => [s.url, fmt(s.raw), fmt(s.gzip), `${fmt(s.wire)} (${s.encoding})`]), ["total", fmt(total("raw")), fmt(total("gzip")), fmt(total("wire"))]],
  );
  const sorted = [...rounds].sort((a, b) => a - b);
  console.log(`\ntime to interactive (ms): median ${fmt(median(rounds), 0)}, min ${fmt(sorted[0], 0)}, max ${fmt(sorted[sorted.length - 1], 0)}\n`);
  const workMedian = (field) => median(works.map((w) => w[field]));
  console.log(`renderer main thread until then (ms, median): all tasks ${fmt(workMedian("task"), 0)}, script ${fmt(workMedian("script"), 0)}, style and layout ${fmt(workMedian("layout"), 0)}\n`);
  const jsKb = total("gzip") / 1024;
  console.log(`- first-load JavaScript, gzipped: ${fmt(jsKb, 1)} KB (< ${JS_TARGET_BYTES / 1024} KB) ${total("gzip") < JS_TARGET_BYTES ? "target met" : "target missed"}`);
  console.log(`- time to interactive, median: ${fmt(median(rounds), 0)} ms (< ${TTI_TARGET_MS} ms) ${median(rounds) < TTI_TARGET_MS ? "target met" : "target missed"}`);
  console.log(`RESULT ${JSON.stringify({ js_gzip_bytes: total("gzip"), js_wire_bytes: total("wire"), tti_ms_median: median(rounds), tti_ms: rounds, main_thread_task_ms_median: workMedian("task") })}`);
} finally {
  await browser.close();
  await server.close();
  rmSync(dataDir, { recursive: true, force: true });
}
