import { execSync, spawn, type ChildProcess } from "node:child_process";
import { existsSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const serverDir = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
const repoRoot = resolve(serverDir, "../..");
/** The built server entry, as operators run it. */
export const MAIN_JS = join(serverDir, "dist/main.js");

/** Builds dist when it is missing (npm test builds first anyway); says so when it runs an existing build. */
export function ensureBuilt(): void {
  if (existsSync(MAIN_JS)) {
    // A stale dist would test old code: `npm test` rebuilds; alone, run `npm run build` first.
    console.warn(`spawned-server: running the existing build ${MAIN_JS} (not rebuilt here; run npm run build after changing src/)`);
    return;
  }
  execSync("npm run build -w packages/protocol -w packages/server", { cwd: repoRoot, stdio: "ignore" });
}

/** A server child process and the URL it logged once listening. */
export interface SpawnedServer {
  child: ChildProcess;
  url: string;
  output(): string;
  /** SIGTERM, then the exit code (SIGKILL after 10 s). */
  stop(): Promise<number | null>;
}

/** Starts `node dist/main.js` with only `env` (plus PATH) and waits until it listens. */
export function spawnServer(env: Record<string, string>): Promise<SpawnedServer> {
  const child = spawn(process.execPath, [MAIN_JS], {
    env: { PATH: process.env["PATH"] ?? "", HOST: "127.0.0.1", PORT: "0", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let out = "";
  const exit = new Promise<number | null>((done) => child.on("exit", (code) => done(code)));
  const stop = async () => {
    if (child.exitCode !== null) return child.exitCode;
    child.kill("SIGTERM");
    const timer = setTimeout(() => child.kill("SIGKILL"), 10_000);
    const code = await exit;
    clearTimeout(timer);
    return code;
  };
  return new Promise((done, fail) => {
    const onData = (chunk: Buffer) => {
      out += chunk.toString("utf8");
      const match = /"url":"(http:\/\/[^"]+)"/.exec(out);
      if (match) done({ child, url: match[1] as string, output: () => out, stop });
    };
    child.stdout?.on("data", onData);
    child.stderr?.on("data", (chunk: Buffer) => (out += chunk.toString("utf8")));
    void exit.then((code) => fail(new Error(`server exited ${code} before listening:\n${out}`)));
  });
}
