/**
 * Runs every bench/*.bench.mjs in turn, each in its own `node --expose-gc` process, streaming
 * its output. `npm run bench` runs them all; `node bench/run-all.mjs client` runs only those
 * whose file name contains "client" (several words: any of them). Benches print ratios and
 * "target met"/"target missed"; this exits non-zero only when a bench itself fails.
 */
import { spawn } from "node:child_process";
import { readdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const benchDir = dirname(fileURLToPath(import.meta.url));
const filters = process.argv.slice(2);
const scripts = readdirSync(benchDir)
  .filter((file) => file.endsWith(".bench.mjs"))
  .filter((file) => filters.length === 0 || filters.some((word) => file.includes(word)))
  .sort();

if (scripts.length === 0) {
  console.error(`no bench/*.bench.mjs matches ${filters.join(", ") || "(none found)"}`);
  process.exit(1);
}

function run(script) {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ["--expose-gc", join(benchDir, script)], { stdio: "inherit" });
    child.on("exit", (code, signal) => resolve(code ?? (signal ? 1 : 0)));
  });
}

const failed = [];
for (const script of scripts) {
  console.log(`\n## ${script}\n`);
  const started = Date.now();
  const code = await run(script);
  console.log(`\n(${script}: exit ${code}, ${((Date.now() - started) / 1000).toFixed(1)} s)`);
  if (code !== 0) failed.push(script);
}
if (failed.length > 0) {
  console.error(`\nfailed: ${failed.join(", ")}`);
  process.exit(1);
}
