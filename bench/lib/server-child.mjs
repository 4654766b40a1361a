/** Starts bench/lib/server-process.mjs as a child process and stops it. */
import { spawn } from "node:child_process";
import { clearTimeout, setTimeout } from "node:timers";
import { fileURLToPath } from "node:url";

const SCRIPT = fileURLToPath(new URL("./server-process.mjs", import.meta.url));

/**
 * @param {{db: string, parseOnly?: boolean, profileDir?: string, synchronous?: "FULL" | "NORMAL", serverDist?: string}} options
 *   serverDist: another build's packages/server/dist for the child (MOSAIC_BENCH_SERVER_DIST), e.g. the build before a change
 * @returns {Promise<{url: string, pid: number, close: () => Promise<void>}>}
 */
export async function startServerChild({ db, parseOnly = false, profileDir = "", synchronous = "FULL", serverDist = "" }) {
  // --cpu-prof writes a V8 CPU profile of the server process when it exits: where its time goes.
  const args = [...(profileDir ? ["--cpu-prof", "--cpu-prof-dir", profileDir] : []), SCRIPT, "--db", db, "--synchronous", synchronous, ...(parseOnly ? ["--parse-only"] : [])];
  const env = serverDist ? { ...process.env, MOSAIC_BENCH_SERVER_DIST: serverDist } : process.env;
  const child = spawn(process.execPath, args, { stdio: ["pipe", "pipe", "inherit"], env });
  const port = await new Promise((resolve, reject) => {
    let buffered = "";
    child.stdout.on("data", (chunk) => {
      buffered += chunk;
      if (buffered.includes("\n")) resolve(JSON.parse(buffered.split("\n")[0]).port);
    });
    child.once("exit", (code) => reject(new Error(`server process exited early with code ${code}`)));
  });
  return {
    url: `http://127.0.0.1:${port}`,
    pid: child.pid,
    async close() {
      const exited = new Promise((resolve) => child.once("exit", resolve));
      child.stdin.end();
      const timer = setTimeout(() => child.kill(), 5000);
      await exited;
      clearTimeout(timer);
    },
  };
}
