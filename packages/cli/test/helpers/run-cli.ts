import { spawn } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

/** The built CLI: the tests run exactly what `npx` would. */
export const CLI = fileURLToPath(new URL("../../dist/main.js", import.meta.url));

export interface CliRun {
  code: number | null;
  stdout: string;
  stderr: string;
  /** Wall time from spawn to exit. */
  ms: number;
}

/** A temporary HOME with XDG folders inside it, removed by `cleanup()`. Nothing of the real user's is read. */
export interface TempHome {
  home: string;
  env: NodeJS.ProcessEnv;
  cleanup(): void;
}

export function tempHome(extra: NodeJS.ProcessEnv = {}): TempHome {
  const home = mkdtempSync(join(tmpdir(), "mosaic-cli-home-"));
  mkdirSync(join(home, ".config"), { recursive: true });
  const env: NodeJS.ProcessEnv = {
    PATH: process.env["PATH"],
    HOME: home,
    XDG_CONFIG_HOME: join(home, ".config"),
    XDG_STATE_HOME: join(home, ".local", "state"),
    ...extra,
  };
  return { home, env, cleanup: () => rmSync(home, { recursive: true, force: true }) };
}

/** Runs `mosaic <args>` as a child process with `stdin` written and closed. */
export function runCli(args: string[], options: { env: NodeJS.ProcessEnv; stdin?: string; cwd?: string }): Promise<CliRun> {
  if (!existsSync(CLI)) throw new Error(`${CLI} is missing: build first (npm run build)`);
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], { env: options.env, cwd: options.cwd ?? options.env["HOME"], stdio: ["pipe", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString("utf8")));
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString("utf8")));
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, stdout, stderr, ms: performance.now() - started }));
    child.stdin.end(options.stdin ?? "");
  });
}

/**
 * A hook budget no machine's load reaches (the default is 1.3 s): for tests of what a hook
 * reports, so that a slow run cannot turn into a missing event. How fast the hook is belongs to
 * bench/cli-hook.bench.mjs; the tests of the bound itself (server-down.test.ts) keep the default.
 */
export const UNHURRIED_HOOK: NodeJS.ProcessEnv = { MOSAIC_HOOK_TIMEOUT_MS: "120000" };

/** The environment variables that point the CLI at a server. */
export function serverEnv(server: { url: string; apiKey: string; instanceId: string }): NodeJS.ProcessEnv {
  return { TELEMETRY_API_URL: server.url, TELEMETRY_API_KEY: server.apiKey, TELEMETRY_INSTANCE_ID: server.instanceId };
}
