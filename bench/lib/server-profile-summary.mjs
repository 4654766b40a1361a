/**
 * Summarises a V8 .cpuprofile (from `--profile <dir>`): self time per function and total time per
 * top-level bucket, so the docs can say where the server's time goes.
 *
 *   node bench/lib/server-profile-summary.mjs <file.cpuprofile> [--top 25]
 */
import { readFileSync } from "node:fs";
import { intArg } from "./stats.mjs";

const file = process.argv[2];
if (!file) {
  console.error("usage: node bench/lib/server-profile-summary.mjs <file.cpuprofile> [--top 25]");
  process.exit(2);
}
const top = intArg("top", 25);
const profile = JSON.parse(readFileSync(file, "utf8"));
const byId = new Map(profile.nodes.map((node) => [node.id, node]));
const selfTicks = new Map();
for (const sample of profile.samples) selfTicks.set(sample, (selfTicks.get(sample) ?? 0) + 1);
const total = profile.samples.length;

const selfByName = new Map();
for (const [id, ticks] of selfTicks) {
  const { callFrame } = byId.get(id);
  const where = callFrame.url ? callFrame.url.replace(/^.*\/(node_modules|packages)\//, "$1/") : "";
  const name = `${callFrame.functionName || "(anonymous)"} ${where}${where ? `:${callFrame.lineNumber + 1}` : ""}`;
  selfByName.set(name, (selfByName.get(name) ?? 0) + ticks);
}
console.log(`${total} samples`);
for (const [name, ticks] of [...selfByName].sort((a, b) => b[1] - a[1]).slice(0, top)) {
  console.log(`${((ticks / total) * 100).toFixed(1).padStart(5)} %  ${name}`);
}
