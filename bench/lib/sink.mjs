/** Starts the loopback sink (sink-process.mjs) as a child process and talks to it. */
import { spawn } from "node:child_process";
import { clearTimeout, setTimeout } from "node:timers";
import { fileURLToPath } from "node:url";

const SINK_SCRIPT = fileURLToPath(new URL("./sink-process.mjs", import.meta.url));

/**
 * @param {{mode?: "answer" | "hang"}} [options]
 * @returns {Promise<{url: string, stats: () => Promise<{events: Record<string, number>, requests: number, badBodies: number}>, reset: () => Promise<void>, close: () => Promise<void>}>}
 */
export async function startSink({ mode = "answer" } = {}) {
  const child = spawn(process.execPath, [SINK_SCRIPT, "--mode", mode], { stdio: ["pipe", "pipe", "inherit"] });
  const port = await new Promise((resolve, reject) => {
    let buffered = "";
    child.stdout.on("data", (chunk) => {
      buffered += chunk;
      const line = buffered.split("\n")[0];
      if (buffered.includes("\n")) resolve(JSON.parse(line).port);
    });
    child.once("exit", (code) => reject(new Error(`sink exited early with code ${code}`)));
  });
  const url = `http://127.0.0.1:${port}`;
  // The control calls must not reuse the pooled sockets of the library under test.
  const control = (path, method) => globalThis.fetch(`${url}${path}`, { method, headers: { connection: "close" } });
  return {
    url,
    async stats() {
      return (await control("/__stats", "GET")).json();
    },
    async reset() {
      await (await control("/__reset", "POST")).arrayBuffer();
    },
    async close() {
      const exited = new Promise((resolve) => child.once("exit", resolve));
      child.stdin.end();
      const timer = setTimeout(() => child.kill(), 2000);
      await exited;
      clearTimeout(timer);
    },
  };
}

/** Total events the sink counted over every path. */
export function totalEvents(stats) {
  return Object.values(stats.events).reduce((sum, n) => sum + n, 0);
}
