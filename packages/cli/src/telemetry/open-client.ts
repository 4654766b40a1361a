import { TelemetryClient, type TelemetryClientOptions, type TelemetryError } from "@mosaicstack/telemetry-client";
import type { Paths } from "../config/paths.js";
import type { ResolvedConfig } from "../config/user-config.js";
import { httpFetch } from "./http-fetch.js";

/** How long a command may wait for the server, by what it is doing. */
export interface SendLimits {
  /** stop()'s deadline: what is not sent by then stays in the spool. */
  stopTimeoutMs: number;
  requestTimeoutMs: number;
  maxRetries: number;
}

/**
 * Every CLI client holds this much, in memory and in the spool: an import with the server down
 * spools its whole history, and the next run (even a hook) takes all of it over. The SDK's
 * defaults (10,000 events in memory, 16 MiB on disk) would evict the oldest of a large backfill.
 */
const CAPACITY = { maxQueueSize: 2_000_000, maxQueueBytes: 1024 * 1024 * 1024, spoolMaxBytes: 1024 * 1024 * 1024 };

/** A hook's whole time by default: it must return within Claude Code's 1.5 s for SessionEnd, server down or slow. */
const HOOK_BUDGET_MS = 1300;
/** What a hook waits for while it reports (at the default budget). */
const HOOK_LIMITS: SendLimits = { stopTimeoutMs: 700, requestTimeoutMs: 600, maxRetries: 0 };
/** SessionStart asks a prediction first (up to 0.6 s), so it leaves less time to deliver leftovers. */
const SESSION_START_LIMITS: SendLimits = { stopTimeoutMs: 400, requestTimeoutMs: 600, maxRetries: 0 };
/** git's time to name the repository's language and size (at the default budget). */
const HOOK_GIT_MS = 300;

/** The time bounds of the hooks (Claude Code's hook, Codex's notify). */
export interface HookTimes {
  /** The whole run: past it the process ends (exit 0) and what was not sent stays in the spool. */
  budgetMs: number;
  report: SendLimits;
  sessionStart: SendLimits;
  gitMs: number;
}

/**
 * The hooks' bounds. `MOSAIC_HOOK_TIMEOUT_MS` sets the whole budget (default 1300 ms) and every
 * bound scales with it: for a hook given a longer timeout in the harness's settings, and for
 * tests whose subject is what the hook reports, not how fast a loaded machine runs it.
 */
export function hookTimes(env: NodeJS.ProcessEnv): HookTimes {
  const raw = env["MOSAIC_HOOK_TIMEOUT_MS"];
  const budgetMs = raw !== undefined && /^\d+$/.test(raw) && Number(raw) > 0 ? Number(raw) : HOOK_BUDGET_MS;
  const scaled = (ms: number): number => Math.round((ms * budgetMs) / HOOK_BUDGET_MS);
  const limits = (base: SendLimits): SendLimits => ({ ...base, stopTimeoutMs: scaled(base.stopTimeoutMs), requestTimeoutMs: scaled(base.requestTimeoutMs) });
  return { budgetMs, report: limits(HOOK_LIMITS), sessionStart: limits(SESSION_START_LIMITS), gitMs: scaled(HOOK_GIT_MS) };
}

/**
 * Bulk commands (import, send): they may wait, and report what was left in the spool.
 * `MOSAIC_SEND_TIMEOUT_MS` shortens (or lengthens) the wait.
 */
export function bulkLimits(env: NodeJS.ProcessEnv): SendLimits {
  const raw = env["MOSAIC_SEND_TIMEOUT_MS"];
  const given = raw !== undefined && /^\d+$/.test(raw) ? Number(raw) : 120_000;
  return { stopTimeoutMs: given, requestTimeoutMs: 15_000, maxRetries: 3 };
}

/** The three settings, or the sentence that says which are missing. */
export function requireSettings(config: ResolvedConfig): { url: string; key: string; instance: string } | { missing: string } {
  const missing = (["url", "key", "instance"] as const).filter((name) => config[name].value === null);
  if (missing.length > 0) {
    return { missing: `not configured: ${missing.join(", ")} (run \`mosaic config set ${missing[0]} <value>\` or set TELEMETRY_API_URL, TELEMETRY_API_KEY, TELEMETRY_INSTANCE_ID)` };
  }
  return { url: config.url.value as string, key: config.key.value as string, instance: config.instance.value as string };
}

/**
 * The SDK client every command sends with. Its spool folder (`spoolDir`, the SDK's durable spool)
 * is the CLI's state folder: an event tracked by a hook that could not deliver it in time is sent
 * by the next command that opens a client there.
 */
export function openClient(
  settings: { url: string; key: string; instance: string },
  paths: Paths,
  limits: SendLimits,
  onError: (error: TelemetryError) => void,
  /** False for a client that only looks (status): it must not send when the process ends. */
  sendOnExit = true,
): TelemetryClient {
  const options: TelemetryClientOptions = {
    serverUrl: settings.url,
    apiKey: settings.key,
    instanceId: settings.instance,
    stopTimeoutMs: limits.stopTimeoutMs,
    requestTimeoutMs: limits.requestTimeoutMs,
    maxRetries: limits.maxRetries,
    ...CAPACITY,
    spoolDir: paths.spoolDir,
    sendOnExit,
    onError,
    // Not the global fetch: its first use costs a short process about 200 ms at exit (http-fetch.ts).
    fetch: httpFetch,
  };
  return new TelemetryClient(options);
}
