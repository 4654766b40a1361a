import { mkdirSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { SessionEstimate } from "./session-event.js";

/** A session id as a file name: anything outside [A-Za-z0-9_-] is replaced, so no path escapes. */
function fileOf(dir: string, sessionId: string): string {
  return join(dir, `${sessionId.replace(/[^A-Za-z0-9_-]/g, "_")}.json`);
}

/** A session that never reached SessionEnd (killed, or reported per turn) leaves its estimate; gone after this long. */
const STALE_MS = 7 * 24 * 60 * 60 * 1000;

/** Keeps the SessionStart estimate until SessionEnd; the first one of a session stays (resume and compact start again). */
export function saveEstimate(dir: string, sessionId: string, estimate: SessionEstimate, nowMs: number): void {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    try {
      if (nowMs - statSync(path).mtimeMs > STALE_MS) rmSync(path, { force: true });
    } catch {
      // removed by another hook meanwhile
    }
  }
  try {
    writeFileSync(fileOf(dir, sessionId), JSON.stringify(estimate), { flag: "wx", mode: 0o600 });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
  }
}

/** The session's estimate, or null. */
export function readEstimate(dir: string, sessionId: string): SessionEstimate | null {
  try {
    const parsed = JSON.parse(readFileSync(fileOf(dir, sessionId), "utf8")) as Partial<SessionEstimate>;
    const ok = (v: unknown): v is number => Number.isSafeInteger(v) && (v as number) >= 0;
    return ok(parsed.input_tokens) && ok(parsed.output_tokens) && ok(parsed.cost_usd_micros)
      ? { input_tokens: parsed.input_tokens, output_tokens: parsed.output_tokens, cost_usd_micros: parsed.cost_usd_micros }
      : null;
  } catch {
    return null;
  }
}

/** Forgets the estimate once its event is in the spool. */
export function dropEstimate(dir: string, sessionId: string): void {
  rmSync(fileOf(dir, sessionId), { force: true });
}
