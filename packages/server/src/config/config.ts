import { isAbsolute, resolve } from "node:path";
import { DEFAULT_KEY_CACHE_TTL_MS } from "../auth/api-key-cache.js";
import { DEFAULT_AUTH_FAILURES_PER_MINUTE } from "../auth/auth-failure-throttle.js";
import { DEFAULT_REQUEST_DEADLINES } from "../http/request-deadlines.js";
import type { ApiVersionLifecycle } from "../http/api-version-lifecycle.js";
import { DEFAULT_PREDICTION_THRESHOLDS } from "../predictions/prediction-thresholds.js";
import { DEFAULT_SNAPSHOT_INTERVAL_MS } from "../predictions/privacy/snapshot-settings.js";
import type { StorageTarget } from "../storage/open-storage.js";
import { POSTGRES_DEFAULTS } from "../storage/postgres/postgres-settings.js";
import { ConfigError } from "./config-error.js";
import { date, flag, integer, text, url, type Env } from "./env-values.js";

export type { Env } from "./env-values.js";

export const LOG_LEVELS = ["fatal", "error", "warn", "info", "debug", "trace", "silent"] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/** The shortest admin token accepted: shorter ones are guessable. */
export const MIN_ADMIN_TOKEN_LENGTH = 32;

/**
 * RFC 6750's b64token, the only characters a `Bearer` credential may hold: a token with a space
 * or a quote in it could be configured but never sent.
 */
const BEARER_TOKEN = /^[A-Za-z0-9\-._~+/]+=*$/;

/**
 * Why `token` cannot be the admin token, or null when it can. The message never repeats the token.
 *
 * @example
 * adminTokenProblem("aaaa") // "must be at least 32 characters long, got 4"
 */
export function adminTokenProblem(token: string): string | null {
  if (token.length < MIN_ADMIN_TOKEN_LENGTH) return `must be at least ${MIN_ADMIN_TOKEN_LENGTH} characters long, got ${token.length}`;
  if (!BEARER_TOKEN.test(token)) {
    return 'may hold only letters, digits and - . _ ~ + / (then "=" padding at the end): what an Authorization: Bearer header can carry (RFC 6750)';
  }
  return null;
}

/** The server's whole configuration, parsed and checked once, then frozen. */
export interface ServerConfig {
  /** @default 8000 (0 picks a free port) */
  readonly port: number;
  /** @default "localhost" (use 0.0.0.0 in a container) */
  readonly host: string;
  /** Folder of the SQLite file and the generated admin token. @default "<cwd>/data" */
  readonly dataDir: string;
  /** @default { engine: "sqlite", path: "<dataDir>/telemetry.db" } */
  readonly storage: StorageTarget;
  /** From TELEMETRY_ADMIN_TOKEN; null means "use or create <dataDir>/admin-token". */
  readonly adminToken: string | null;
  readonly rateLimits: {
    /** Requests per minute per API key on POST /v1/events/batch. @default 600 */
    readonly eventsPerMinute: number;
    /** Requests per minute per API key on POST /v1/predictions/batch. @default 300 */
    readonly predictionsPerMinute: number;
  };
  readonly predictions: {
    /** @default 10 */
    readonly minEvents: number;
    /** @default 5 */
    readonly minContributors: number;
    /** How often a group's crowd snapshot may be recomputed, from PREDICTION_SNAPSHOT_INTERVAL (seconds). @default 3600000 (1 hour) */
    readonly snapshotIntervalMs: number;
    /**
     * Whether the server recomputes every group's snapshot once per interval in the background
     * (one process at a time holds the lease), from PREDICTION_BACKGROUND_REFRESH (true/false).
     * @default true
     */
    readonly backgroundRefresh: boolean;
  };
  /** Largest request body, counted after gzip decompression. @default 1 MiB */
  readonly bodyLimitBytes: number;
  /** From a request's first byte to its last; past it, 408 and the connection closed. @default 60000 */
  readonly requestTimeoutMs: number;
  /** After an answer sent before the body arrived (401, 413 …), how long the rest may take. @default 5000 */
  readonly refusedBodyTimeoutMs: number;
  /** Failed authentications per client address per minute before 429; 0 turns the throttle off. @default 30 */
  readonly authFailuresPerMinute: number;
  /**
   * Fastify's trustProxy: which proxies' X-Forwarded-For names the client address. false: none
   * (the socket's peer is the client); true: any; else the proxies' addresses or CIDRs.
   * @default false
   */
  readonly trustProxy: boolean | readonly string[];
  /** @default "info" */
  readonly logLevel: LogLevel;
  /** Redis for shared rate-limit counters and key-cache invalidation; null: in-process. */
  readonly redisUrl: string | null;
  /** Prefix of every Redis key and channel, so several deployments (or tests) share one Redis. @default "mosaic:" */
  readonly redisKeyPrefix: string;
  /**
   * How long an API-key lookup is reused. Also the bound on how late another process refuses a
   * revoked key while Redis is unreachable. @default 30000
   */
  readonly apiKeyCacheTtlMs: number;
  /**
   * Bearer token of GET /metrics (Prometheus). null: /metrics is off (404), so a deployment
   * exposes nothing it did not ask for. @default null
   */
  readonly metricsToken: string | null;
  /** The lifecycle of API v1 (http/api-version-lifecycle.ts). @default all null: v1 is current */
  readonly apiV1: ApiVersionLifecycle;
  /** PostgreSQL connection pool of this process (ignored on SQLite). Defaults: POSTGRES_DEFAULTS. */
  readonly database: {
    readonly poolSize: number;
    /** Longest wait for a connection, and for the ingest group ahead of a call. */
    readonly connectTimeoutMs: number;
    /** Longest wait for one query's answer: a stalled database then answers 503. */
    readonly queryTimeoutMs: number;
  };
}

export interface LoadConfigOptions {
  /** Relative paths resolve against it. @default process.cwd() */
  cwd?: string;
}

/**
 * Parses the environment into a frozen ServerConfig.
 * Throws ConfigError naming the first variable with a wrong value.
 *
 * @example
 * const config = loadConfig(process.env);
 */
export function loadConfig(env: Env, options: LoadConfigOptions = {}): ServerConfig {
  const cwd = options.cwd ?? process.cwd();
  const dataDir = resolve(cwd, text(env, "DATA_DIR") ?? "data");
  const config: ServerConfig = {
    port: integer(env, "PORT", 8000, 0, 65535),
    host: text(env, "HOST") ?? "localhost",
    dataDir,
    storage: storageTarget(env, cwd, dataDir),
    adminToken: adminToken(env),
    rateLimits: {
      eventsPerMinute: integer(env, "RATE_LIMIT_EVENTS_PER_MINUTE", 600, 1, 1_000_000_000),
      predictionsPerMinute: integer(env, "RATE_LIMIT_PREDICTIONS_PER_MINUTE", 300, 1, 1_000_000_000),
    },
    predictions: {
      minEvents: integer(env, "PREDICTION_MIN_EVENTS", DEFAULT_PREDICTION_THRESHOLDS.minEvents, 1, 1_000_000_000),
      minContributors: integer(env, "PREDICTION_MIN_CONTRIBUTORS", DEFAULT_PREDICTION_THRESHOLDS.minContributors, 1, 1_000_000),
      snapshotIntervalMs: integer(env, "PREDICTION_SNAPSHOT_INTERVAL", DEFAULT_SNAPSHOT_INTERVAL_MS / 1000, 1, 31_536_000) * 1000,
      backgroundRefresh: flag(env, "PREDICTION_BACKGROUND_REFRESH", true),
    },
    bodyLimitBytes: integer(env, "BODY_LIMIT_BYTES", 1024 * 1024, 1024, 1024 * 1024 * 1024),
    requestTimeoutMs: integer(env, "REQUEST_TIMEOUT_MS", DEFAULT_REQUEST_DEADLINES.requestTimeoutMs, 100, 3_600_000),
    refusedBodyTimeoutMs: integer(env, "REFUSED_BODY_TIMEOUT_MS", DEFAULT_REQUEST_DEADLINES.refusedBodyTimeoutMs, 0, 3_600_000),
    authFailuresPerMinute: integer(env, "AUTH_FAILURES_PER_MINUTE", DEFAULT_AUTH_FAILURES_PER_MINUTE, 0, 1_000_000),
    trustProxy: trustProxy(env),
    logLevel: logLevel(env),
    redisUrl: redisUrl(env),
    redisKeyPrefix: redisKeyPrefix(env),
    apiKeyCacheTtlMs: integer(env, "API_KEY_CACHE_TTL_MS", DEFAULT_KEY_CACHE_TTL_MS, 0, 3_600_000),
    metricsToken: metricsToken(env),
    apiV1: {
      deprecatedAt: date(env, "API_V1_DEPRECATED_AT"),
      sunsetAt: date(env, "API_V1_SUNSET_AT"),
      successorUrl: url(env, "API_V1_SUCCESSOR_URL"),
    },
    database: {
      poolSize: integer(env, "DATABASE_POOL_SIZE", POSTGRES_DEFAULTS.poolSize, 1, 1000),
      connectTimeoutMs: integer(env, "DATABASE_CONNECT_TIMEOUT_MS", POSTGRES_DEFAULTS.connectTimeoutMs, 100, 600_000),
      queryTimeoutMs: integer(env, "DATABASE_QUERY_TIMEOUT_MS", POSTGRES_DEFAULTS.queryTimeoutMs, 100, 3_600_000),
    },
  };
  return deepFreeze(config);
}

function storageTarget(env: Env, cwd: string, dataDir: string): StorageTarget {
  const value = text(env, "DATABASE_URL");
  if (value === undefined) return { engine: "sqlite", path: resolve(dataDir, "telemetry.db") };
  if (value.startsWith("sqlite:")) {
    // Both sqlite:relative/path and sqlite:///absolute/path are accepted.
    const rest = value.slice("sqlite:".length).replace(/^\/\/(?=\/)/, "");
    if (rest === "") throw new ConfigError("DATABASE_URL", "sqlite: needs a file path, e.g. sqlite:./data/telemetry.db");
    if (rest === ":memory:") return { engine: "sqlite", path: rest };
    return { engine: "sqlite", path: isAbsolute(rest) ? rest : resolve(cwd, rest) };
  }
  if (value.startsWith("postgres://") || value.startsWith("postgresql://")) {
    try {
      new URL(value);
    } catch {
      // The URL may hold a password: never echo it.
      throw new ConfigError("DATABASE_URL", "is not a valid postgres:// URL");
    }
    return { engine: "postgres", url: value };
  }
  throw new ConfigError("DATABASE_URL", "must start with sqlite:, postgres:// or postgresql://");
}

function adminToken(env: Env): string | null {
  const value = text(env, "TELEMETRY_ADMIN_TOKEN");
  if (value === undefined) return null;
  const problem = adminTokenProblem(value);
  if (problem !== null) throw new ConfigError("TELEMETRY_ADMIN_TOKEN", problem);
  return value;
}

function trustProxy(env: Env): ServerConfig["trustProxy"] {
  const value = text(env, "TRUST_PROXY");
  if (value === undefined || value.toLowerCase() === "false") return false;
  if (value.toLowerCase() === "true") return true;
  const entries = value.split(",").map((entry) => entry.trim());
  // Addresses or CIDRs (IPv4, IPv6), or proxy-addr's names: loopback, linklocal, uniquelocal.
  if (entries.some((entry) => !/^[0-9A-Fa-f:.]+(\/\d{1,3})?$/.test(entry) && !["loopback", "linklocal", "uniquelocal"].includes(entry))) {
    throw new ConfigError("TRUST_PROXY", `must be true, false or a comma-separated list of addresses or CIDRs, got "${value}"`);
  }
  return entries;
}

function logLevel(env: Env): LogLevel {
  const value = text(env, "LOG_LEVEL");
  if (value === undefined) return "info";
  const lower = value.toLowerCase();
  if (!(LOG_LEVELS as readonly string[]).includes(lower)) {
    throw new ConfigError("LOG_LEVEL", `must be one of ${LOG_LEVELS.join(", ")}, got "${value}"`);
  }
  return lower as LogLevel;
}

function redisUrl(env: Env): string | null {
  const value = text(env, "REDIS_URL");
  if (value === undefined) return null;
  if (!value.startsWith("redis://") && !value.startsWith("rediss://")) {
    throw new ConfigError("REDIS_URL", "must start with redis:// or rediss://");
  }
  try {
    new URL(value);
  } catch {
    throw new ConfigError("REDIS_URL", "is not a valid redis:// URL");
  }
  return value;
}

function metricsToken(env: Env): string | null {
  const value = text(env, "METRICS_TOKEN");
  if (value === undefined) return null;
  // The admin token's rule: long enough not to be guessed, and sendable in a Bearer header.
  const problem = adminTokenProblem(value);
  if (problem !== null) throw new ConfigError("METRICS_TOKEN", problem);
  return value;
}

function redisKeyPrefix(env: Env): string {
  const value = text(env, "REDIS_KEY_PREFIX") ?? "mosaic:";
  // Printable ASCII without spaces: the prefix is part of key and channel names.
  if (!/^[\x21-\x7e]{1,64}$/.test(value)) {
    throw new ConfigError("REDIS_KEY_PREFIX", "must be 1 to 64 printable characters without spaces");
  }
  return value;
}

function deepFreeze<T extends object>(value: T): T {
  for (const child of Object.values(value)) {
    if (typeof child === "object" && child !== null) deepFreeze(child as object);
  }
  return Object.freeze(value);
}
