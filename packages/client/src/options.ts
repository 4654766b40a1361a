import { MAX_EVENTS_PER_BATCH, UUID_PATTERN } from "@mosaicstack/telemetry-protocol";
import { TelemetryConfigError, type TelemetryError } from "./errors.js";
import type { FetchLike, TelemetryClientHooks } from "./platform.js";

/** What `new TelemetryClient(options)` accepts. Only the first three have no default. */
export interface TelemetryClientOptions {
  /** Base URL of the telemetry API, e.g. `https://tel-api.mosaicstack.dev` (a path prefix is kept). */
  serverUrl: string;
  /**
   * The instance's API key (`msk_…`). Sent as given, only in the `Authorization` header, never
   * logged. Any non-empty key without whitespace or control characters is sent: judging its
   * format is the server's job (it answers 401).
   */
  apiKey: string;
  /** The instance's UUID, written into every event. */
  instanceId: string;
  /** When false, `track()` does nothing and the client makes no request at all. @default true */
  enabled?: boolean;
  /** Run everything except the HTTP call (every event counts as accepted); nothing leaves the process. @default false */
  dryRun?: boolean;
  /** How often the background timer started by `start()` sends the queue. @default 300000 (5 minutes) */
  submitIntervalMs?: number;
  /** Events per request, 1 to 100 (the server's limit); out-of-range values are clamped with one warning. @default 100 */
  batchSize?: number;
  /** Retries of a request in a background send or `flush()` after a network error, timeout, 429 or 5xx other than 501 (`stop()` retries until its deadline). @default 3 */
  maxRetries?: number;
  /** Receives every problem (the SDK never throws out of `track()`). An `onError` that throws is contained. @default ignore */
  onError?: (error: TelemetryError) => void;
  /** Most events kept in memory; at capacity the oldest are evicted. @default 10000 */
  maxQueueSize?: number;
  /** Most (estimated) bytes of events kept in memory; past it the oldest are evicted. @default 10485760 (10 MiB) */
  maxQueueBytes?: number;
  /** Time limit of one HTTP request. @default 10000 */
  requestTimeoutMs?: number;
  /** How long a fetched prediction stays usable in the cache. @default 21600000 (6 hours) */
  predictionCacheTtlMs?: number;
  /** How long `stop()` (and the send at process end) may spend sending what is queued, retrying with backoff, before it gives up. @default 5000 */
  stopTimeoutMs?: number;
  /**
   * A folder for the durable spool: every event `track()` accepts is appended to a file there
   * before the end of the event-loop turn and removed once the server has answered for it; a
   * client started later on the same folder sends what an earlier process left (also after a
   * crash). Several processes may share one folder. Unset: nothing touches the disk. @default unset
   */
  spoolDir?: string;
  /** Most bytes of unsent events the spool keeps on disk; past it the oldest events are evicted (counted in `evicted`). @default 16777216 (16 MiB) */
  spoolMaxBytes?: number;
  /** When the event loop empties with events queued and stop() was not called (Node's `beforeExit`), send them, within `stopTimeoutMs`, before the process exits. @default true */
  sendOnExit?: boolean;
  /** Request bodies over 1 KiB are sent gzip-compressed (`Content-Encoding: gzip`). @default true */
  gzip?: boolean;
  /** The `fetch` to send with. @default globalThis.fetch */
  fetch?: FetchLike;
  /** For tests only: replace the clock, sleeping, randomness and timers. @default the real ones */
  hooks?: TelemetryClientHooks;
}

/** The options after defaults, clamping and checks; frozen once at construction. */
export interface NormalizedOptions {
  readonly enabled: boolean;
  readonly dryRun: boolean;
  /** Null when the client cannot send (reported once); events are then dropped. */
  readonly eventsUrl: string | null;
  readonly predictionsUrl: string | null;
  /** Empty when the client cannot send. */
  readonly apiKey: string;
  readonly instanceId: string;
  /** False when the configuration keeps the client from sending (reported once). */
  readonly canSend: boolean;
  readonly submitIntervalMs: number;
  readonly batchSize: number;
  readonly maxRetries: number;
  readonly maxQueueSize: number;
  readonly maxQueueBytes: number;
  readonly requestTimeoutMs: number;
  readonly predictionCacheTtlMs: number;
  readonly stopTimeoutMs: number;
  /** Null without a spool. */
  readonly spoolDir: string | null;
  readonly spoolMaxBytes: number;
  readonly sendOnExit: boolean;
  readonly gzip: boolean;
  readonly fetch: FetchLike | undefined;
}

export const DEFAULTS = Object.freeze({
  enabled: true,
  dryRun: false,
  submitIntervalMs: 300_000,
  batchSize: MAX_EVENTS_PER_BATCH,
  maxRetries: 3,
  maxQueueSize: 10_000,
  maxQueueBytes: 10 * 1024 * 1024,
  requestTimeoutMs: 10_000,
  predictionCacheTtlMs: 6 * 60 * 60 * 1000,
  stopTimeoutMs: 5_000,
  spoolMaxBytes: 16 * 1024 * 1024,
  sendOnExit: true,
  gzip: true,
});

const uuid = new RegExp(UUID_PATTERN);

interface Range {
  min: number;
  max: number;
  integer: boolean;
}

/** A numeric option within its range; anything else is the default or clamped, with one warning. */
function numberOption(
  name: keyof typeof DEFAULTS,
  value: unknown,
  range: Range,
  warnings: TelemetryError[],
): number {
  const fallback = DEFAULTS[name] as number;
  if (value === undefined || value === null) return fallback;
  if (typeof value !== "number" || Number.isNaN(value)) {
    warnings.push(new TelemetryConfigError("option_clamped", name, `${name} must be a number; using the default ${fallback}`));
    return fallback;
  }
  let result = range.integer ? Math.floor(value) : value;
  result = Math.min(range.max, Math.max(range.min, result));
  if (result !== value) {
    warnings.push(
      new TelemetryConfigError("option_clamped", name, `${name} must be from ${range.min} to ${range.max}; using ${result}`),
    );
  }
  return result;
}

/**
 * Whitespace, a control character, or a character beyond Latin-1: a key holding one cannot travel
 * in an HTTP header as given (fetch would throw on every request).
 */
function unsendableInHeader(key: string): boolean {
  for (let i = 0; i < key.length; i++) {
    const code = key.charCodeAt(i);
    if (code <= 0x20 || (code >= 0x7f && code <= 0xa0) || code > 0xff) return true;
  }
  return false;
}

/** The base URL with a trailing slash, or a reason it cannot be used. */
function parseServerUrl(value: unknown): URL | string {
  if (typeof value !== "string" || value.trim() === "") return "serverUrl is missing";
  let url: URL;
  try {
    url = new URL(value.trim());
  } catch {
    return "serverUrl is not a valid URL";
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") return "serverUrl must be an http or https URL";
  if (url.username !== "" || url.password !== "") return "serverUrl must not contain credentials";
  url.search = "";
  url.hash = "";
  if (!url.pathname.endsWith("/")) url.pathname += "/";
  return url;
}

/** The spool folder, or null (unset, or not a usable string: reported, the client runs without a spool). */
function spoolDirOption(value: unknown, warnings: TelemetryError[]): string | null {
  if (value === undefined || value === null) return null;
  if (typeof value === "string" && value.trim() !== "" && !value.includes("\u0000")) return value;
  warnings.push(new TelemetryConfigError("invalid_config", "spoolDir", "spoolDir must be a folder path; running without a spool"));
  return null;
}

/**
 * Normalises the caller's options once (ky's normalize step): never throws, never mutates the
 * input, and returns the problems to report (config errors first, then clamping warnings).
 */
export function normalizeOptions(input: TelemetryClientOptions | undefined): {
  options: NormalizedOptions;
  problems: TelemetryError[];
} {
  const raw: Partial<TelemetryClientOptions> = typeof input === "object" && input !== null ? input : {};
  const warnings: TelemetryError[] = [];
  const enabled = raw.enabled === undefined ? DEFAULTS.enabled : raw.enabled !== false;
  const dryRun = raw.dryRun === true;

  const problems: string[] = [];
  const instanceId = typeof raw.instanceId === "string" ? raw.instanceId.trim() : "";
  if (instanceId === "") problems.push("instanceId is missing");
  else if (!uuid.test(instanceId)) problems.push("instanceId must be a UUID");
  // In dryRun nothing is sent, so only the instance id (written into every event) must hold.
  const base = parseServerUrl(raw.serverUrl);
  if (!dryRun) {
    if (typeof base === "string") problems.push(base);
    if (raw.apiKey === undefined || raw.apiKey === null || raw.apiKey === "") problems.push("apiKey is missing");
    // The messages never quote the key. Its format is the server's to judge (docs/api.md).
    else if (typeof raw.apiKey !== "string") problems.push("apiKey must be a string");
    else if (unsendableInHeader(raw.apiKey)) problems.push("apiKey must not contain whitespace, control characters or characters an HTTP header cannot carry");
  }
  const canSend = problems.length === 0;
  const configErrors: TelemetryError[] =
    enabled && !canSend
      ? [
          new TelemetryConfigError(
            "invalid_config",
            problems[0]?.split(" ")[0] ?? "options",
            `Telemetry disabled by invalid configuration: ${problems.join("; ")}. Events will be dropped.`,
          ),
        ]
      : [];

  const batchSize = numberOption("batchSize", raw.batchSize, { min: 1, max: MAX_EVENTS_PER_BATCH, integer: true }, warnings);
  const options: NormalizedOptions = Object.freeze({
    enabled,
    dryRun,
    eventsUrl: typeof base === "string" ? null : new URL("v1/events/batch", base).toString(),
    predictionsUrl: typeof base === "string" ? null : new URL("v1/predictions/batch", base).toString(),
    apiKey: canSend && typeof raw.apiKey === "string" ? raw.apiKey : "",
    instanceId,
    canSend,
    submitIntervalMs: numberOption("submitIntervalMs", raw.submitIntervalMs, { min: 10, max: 2_147_483_647, integer: true }, warnings),
    batchSize,
    maxRetries: numberOption("maxRetries", raw.maxRetries, { min: 0, max: 100, integer: true }, warnings),
    maxQueueSize: numberOption("maxQueueSize", raw.maxQueueSize, { min: 1, max: 10_000_000, integer: true }, warnings),
    maxQueueBytes: numberOption("maxQueueBytes", raw.maxQueueBytes, { min: 1024, max: Number.MAX_SAFE_INTEGER, integer: true }, warnings),
    requestTimeoutMs: numberOption("requestTimeoutMs", raw.requestTimeoutMs, { min: 1, max: 2_147_483_647, integer: true }, warnings),
    predictionCacheTtlMs: numberOption("predictionCacheTtlMs", raw.predictionCacheTtlMs, { min: 0, max: Number.MAX_SAFE_INTEGER, integer: true }, warnings),
    stopTimeoutMs: numberOption("stopTimeoutMs", raw.stopTimeoutMs, { min: 0, max: 2_147_483_647, integer: true }, warnings),
    spoolDir: spoolDirOption(raw.spoolDir, warnings),
    spoolMaxBytes: numberOption("spoolMaxBytes", raw.spoolMaxBytes, { min: 64 * 1024, max: Number.MAX_SAFE_INTEGER, integer: true }, warnings),
    sendOnExit: raw.sendOnExit === undefined ? DEFAULTS.sendOnExit : raw.sendOnExit !== false,
    gzip: raw.gzip === undefined ? DEFAULTS.gzip : raw.gzip !== false,
    fetch: typeof raw.fetch === "function" ? raw.fetch : undefined,
  });
  return { options, problems: [...configErrors, ...warnings] };
}
