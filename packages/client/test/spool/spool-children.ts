import { spawn } from "node:child_process";
import type { ChildProcess } from "node:child_process";
import { createRequire } from "node:module";
import { createInterface } from "node:readline";
import { fileURLToPath, pathToFileURL } from "node:url";
import type { ChildPlan } from "./spool-fixtures.js";

/*
 * Child processes: spool-child.ts run through tsx (a root devDependency), resolved from here
 * so the test does not depend on the working directory.
 */
const TSX = pathToFileURL(createRequire(import.meta.url).resolve("tsx")).href;
const CHILD = fileURLToPath(new URL("./spool-child.ts", import.meta.url));

export interface RunningChild {
  readonly child: ChildProcess;
  /** Resolves with the first stdout line (parsed JSON) that satisfies `test`. */
  waitFor(test: (message: Record<string, unknown>) => boolean): Promise<Record<string, unknown>>;
  /** Resolves once the process has exited and been reaped. */
  readonly exited: Promise<number | null>;
}

export function startChild(plan: ChildPlan): RunningChild {
  const child = spawn(process.execPath, ["--import", TSX, CHILD, JSON.stringify(plan)], { stdio: ["ignore", "pipe", "inherit"] });
  const messages: Record<string, unknown>[] = [];
  const waiters: { test: (message: Record<string, unknown>) => boolean; resolve: (message: Record<string, unknown>) => void }[] = [];
  const exited = new Promise<number | null>((resolve) => child.on("close", (code) => resolve(code)));
  createInterface({ input: child.stdout! }).on("line", (line) => {
    const message = JSON.parse(line) as Record<string, unknown>;
    messages.push(message);
    for (const waiter of waiters.splice(0)) {
      if (waiter.test(message)) waiter.resolve(message);
      else waiters.push(waiter);
    }
  });
  return {
    child,
    exited,
    waitFor: (test) =>
      new Promise((resolve, reject) => {
        const seen = messages.find(test);
        if (seen !== undefined) return resolve(seen);
        waiters.push({ test, resolve });
        void exited.then((code) => reject(new Error(`child exited (${code}) before the awaited message`)));
      }),
  };
}

/** SIGKILLs a child and waits until it is reaped (a zombie would still look alive to kill(pid, 0)). */
export async function killHard(running: RunningChild): Promise<void> {
  running.child.kill("SIGKILL");
  await running.exited;
}
