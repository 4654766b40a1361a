// `npm start`: builds the protocol, dashboard and server packages only when a source is newer than their
// build, then runs the server in this very process. Why not `npm run build && node dist/main.js`:
// npm's shell would be the server's parent and npm's SIGTERM would end the shell, orphaning the
// server still listening; here npm's child is the server itself and gets the signal.
import { spawnSync } from "node:child_process";
import { existsSync, readdirSync, statSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const packages = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
const repoRoot = resolve(packages, "..");

/** Newest modification time (ms) of the files under `path`, 0 when it does not exist. */
function newest(path) {
  if (!existsSync(path)) return 0;
  const stat = statSync(path);
  if (!stat.isDirectory()) return stat.mtimeMs;
  let max = 0;
  for (const entry of readdirSync(path)) max = Math.max(max, newest(join(path, entry)));
  return max;
}

/**
 * Builds `name` when its output is missing or older than its sources (src/, package.json,
 * tsconfig.build.json and `moreSources`) or than `alsoAfter`. Returns its build time.
 */
function buildIfStale(name, output, alsoAfter = 0, moreSources = []) {
  const dir = join(packages, name);
  const built = existsSync(join(dir, output)) ? statSync(join(dir, output)).mtimeMs : 0;
  const inputs = ["src", "package.json", "tsconfig.build.json", ...moreSources];
  const sources = Math.max(...inputs.map((input) => newest(join(dir, input))), alsoAfter);
  if (built > sources) return built;
  process.stderr.write(`npm start: building packages/${name} (sources newer than its build)\n`);
  const result = spawnSync("npm", ["run", "build", "-w", `packages/${name}`], { cwd: repoRoot, stdio: ["ignore", "inherit", "inherit"] });
  if (result.status !== 0) process.exit(result.status ?? 1);
  return statSync(join(dir, output)).mtimeMs;
}

const protocolBuilt = buildIfStale("protocol", "dist/index.js");
// The dashboard the server serves at / (its page, Vite config and post-build script are sources too).
buildIfStale("dashboard", "dist/index.html", protocolBuilt, ["index.html", "vite.config.ts", "scripts"]);
buildIfStale("server", "dist/main.js", protocolBuilt);
await import(pathToFileURL(join(packages, "server/dist/main.js")).href);
