import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { adminTokenPath, resolveAdminToken } from "../../src/config/admin-token-file.js";
import { ConfigError } from "../../src/config/config-error.js";
import { adminTokenProblem, loadConfig } from "../../src/config/config.js";

const cwd = "/srv/app";

function configError(env: Record<string, string>): ConfigError {
  try {
    loadConfig(env, { cwd });
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return error as ConfigError;
  }
  throw new Error("expected a ConfigError");
}

describe("loadConfig", () => {
  it("has the documented defaults", () => {
    const config = loadConfig({}, { cwd });
    expect(config).toEqual({
      port: 8000,
      host: "localhost",
      dataDir: "/srv/app/data",
      storage: { engine: "sqlite", path: "/srv/app/data/telemetry.db" },
      adminToken: null,
      rateLimits: { eventsPerMinute: 600, predictionsPerMinute: 300 },
      predictions: { minEvents: 10, minContributors: 5, snapshotIntervalMs: 3_600_000, backgroundRefresh: true },
      bodyLimitBytes: 1024 * 1024,
      requestTimeoutMs: 60_000,
      refusedBodyTimeoutMs: 5_000,
      authFailuresPerMinute: 30,
      trustProxy: false,
      logLevel: "info",
      redisUrl: null,
      redisKeyPrefix: "mosaic:",
      apiKeyCacheTtlMs: 30_000,
      metricsToken: null,
      apiV1: { deprecatedAt: null, sunsetAt: null, successorUrl: null },
      database: { poolSize: 10, connectTimeoutMs: 5000, queryTimeoutMs: 10_000 },
    });
  });

  it("is frozen, nested objects too", () => {
    const config = loadConfig({}, { cwd });
    expect(Object.isFrozen(config)).toBe(true);
    expect(Object.isFrozen(config.rateLimits)).toBe(true);
    expect(Object.isFrozen(config.storage)).toBe(true);
  });

  it("reads every variable", () => {
    const config = loadConfig(
      {
        PORT: "9001",
        HOST: "0.0.0.0",
        DATA_DIR: "var/telemetry",
        TELEMETRY_ADMIN_TOKEN: "0123456789abcdef-admin-0123456789",
        RATE_LIMIT_EVENTS_PER_MINUTE: "60",
        RATE_LIMIT_PREDICTIONS_PER_MINUTE: "30",
        PREDICTION_MIN_EVENTS: "3",
        PREDICTION_MIN_CONTRIBUTORS: "2",
        PREDICTION_SNAPSHOT_INTERVAL: "60",
        PREDICTION_BACKGROUND_REFRESH: "False",
        BODY_LIMIT_BYTES: "2048",
        REQUEST_TIMEOUT_MS: "30000",
        REFUSED_BODY_TIMEOUT_MS: "1000",
        AUTH_FAILURES_PER_MINUTE: "0",
        TRUST_PROXY: "10.0.0.0/8, 127.0.0.1",
        LOG_LEVEL: "DEBUG",
        REDIS_URL: "redis://127.0.0.1:6379/2",
      },
      { cwd },
    );
    expect(config.port).toBe(9001);
    expect(config.host).toBe("0.0.0.0");
    expect(config.dataDir).toBe("/srv/app/var/telemetry");
    expect(config.storage).toEqual({ engine: "sqlite", path: "/srv/app/var/telemetry/telemetry.db" });
    expect(config.adminToken).toBe("0123456789abcdef-admin-0123456789");
    expect(config.rateLimits).toEqual({ eventsPerMinute: 60, predictionsPerMinute: 30 });
    expect(config.predictions).toEqual({ minEvents: 3, minContributors: 2, snapshotIntervalMs: 60_000, backgroundRefresh: false });
    expect(config.bodyLimitBytes).toBe(2048);
    expect(config.requestTimeoutMs).toBe(30_000);
    expect(config.refusedBodyTimeoutMs).toBe(1_000);
    expect(config.authFailuresPerMinute).toBe(0);
    expect(config.trustProxy).toEqual(["10.0.0.0/8", "127.0.0.1"]);
    expect(config.logLevel).toBe("debug");
    expect(config.redisUrl).toBe("redis://127.0.0.1:6379/2");
  });

  it("refuses a background-refresh setting that is neither true nor false", () => {
    expect(() => loadConfig({ PREDICTION_BACKGROUND_REFRESH: "yes" }, { cwd })).toThrow('PREDICTION_BACKGROUND_REFRESH: must be true or false, got "yes"');
  });

  it("reads the PostgreSQL pool settings", () => {
    const config = loadConfig({ DATABASE_POOL_SIZE: "4", DATABASE_CONNECT_TIMEOUT_MS: "2000", DATABASE_QUERY_TIMEOUT_MS: "3000" }, { cwd: "/srv" });
    expect(config.database).toEqual({ poolSize: 4, connectTimeoutMs: 2000, queryTimeoutMs: 3000 });
  });

  it("parses DATABASE_URL into a storage target", () => {
    expect(loadConfig({ DATABASE_URL: "sqlite:./db/t.db" }, { cwd }).storage).toEqual({ engine: "sqlite", path: "/srv/app/db/t.db" });
    expect(loadConfig({ DATABASE_URL: "sqlite:///tmp/x.db" }, { cwd }).storage).toEqual({ engine: "sqlite", path: "/tmp/x.db" });
    expect(loadConfig({ DATABASE_URL: "sqlite::memory:" }, { cwd }).storage).toEqual({ engine: "sqlite", path: ":memory:" });
    expect(loadConfig({ DATABASE_URL: "postgres://u:p@db:5432/t" }, { cwd }).storage).toEqual({
      engine: "postgres",
      url: "postgres://u:p@db:5432/t",
    });
    expect(loadConfig({ DATABASE_URL: "postgresql://db/t" }, { cwd }).storage.engine).toBe("postgres");
  });

  it("treats a blank variable as unset", () => {
    expect(loadConfig({ PORT: "  ", TELEMETRY_ADMIN_TOKEN: "" }, { cwd }).port).toBe(8000);
  });

  it.each([
    ["PORT", "eighty"],
    ["PORT", "70000"],
    ["PORT", "-1"],
    ["PORT", "80.5"],
    ["RATE_LIMIT_EVENTS_PER_MINUTE", "0"],
    ["RATE_LIMIT_PREDICTIONS_PER_MINUTE", "many"],
    ["PREDICTION_MIN_EVENTS", "0"],
    ["PREDICTION_MIN_CONTRIBUTORS", "x"],
    ["BODY_LIMIT_BYTES", "10"],
    ["LOG_LEVEL", "loud"],
    ["REDIS_URL", "http://127.0.0.1:6379"],
    ["DATABASE_URL", "mysql://db/t"],
    ["DATABASE_URL", "sqlite:"],
    ["DATABASE_POOL_SIZE", "0"],
    ["REQUEST_TIMEOUT_MS", "99"],
    ["REFUSED_BODY_TIMEOUT_MS", "5s"],
    ["AUTH_FAILURES_PER_MINUTE", "-1"],
    ["TRUST_PROXY", "my proxy"],
    ["DATABASE_CONNECT_TIMEOUT_MS", "5s"],
    ["DATABASE_QUERY_TIMEOUT_MS", "99"],
  ])("names %s when its value %j is wrong", (variable, value) => {
    const error = configError({ [variable]: value });
    expect(error.variable).toBe(variable);
    expect(error.message.startsWith(`${variable}: `)).toBe(true);
  });

  it("refuses an admin token shorter than 32 characters without echoing it", () => {
    const error = configError({ TELEMETRY_ADMIN_TOKEN: "aaaaaaaaaaaaaaaa" });
    expect(error.variable).toBe("TELEMETRY_ADMIN_TOKEN");
    expect(error.message).toBe("TELEMETRY_ADMIN_TOKEN: must be at least 32 characters long, got 16");
    expect(configError({ TELEMETRY_ADMIN_TOKEN: "a".repeat(31) }).variable).toBe("TELEMETRY_ADMIN_TOKEN");
  });

  it.each([
    ["a space", "correct horse battery staple 0123456789"],
    ["a quote", 'token-"quoted"-0123456789abcdef0123456789'],
    ["a comma", "token,0123456789abcdef0123456789abcdef"],
    ["a non-ASCII letter", "tökén-0123456789abcdef0123456789abcdef"],
    ["an = before the end", "abc=def-0123456789abcdef0123456789abcdef"],
  ])("refuses an admin token holding %s, which a Bearer header cannot carry (RFC 6750)", (_what, token) => {
    const error = configError({ TELEMETRY_ADMIN_TOKEN: token });
    expect(error.variable).toBe("TELEMETRY_ADMIN_TOKEN");
    expect(error.message).toContain("RFC 6750");
    expect(error.message).not.toContain(token);
  });

  it.each(["a".repeat(32), "Abc-._~+/0123456789abcdefghijklmnopq==", "dGhpcyBpcyBhIGJhc2U2NCB0b2tlbiBvZiAzMiBieXRlcw=="])(
    "accepts the admin token %s",
    (token) => {
      expect(loadConfig({ TELEMETRY_ADMIN_TOKEN: token }, { cwd }).adminToken).toBe(token);
    },
  );

  it("does not echo a bad postgres URL (it may hold a password)", () => {
    const error = configError({ DATABASE_URL: "postgres://user:hunter2@[bad" });
    expect(error.variable).toBe("DATABASE_URL");
    expect(error.message).not.toContain("hunter2");
  });
});

describe("resolveAdminToken", () => {
  const dirs: string[] = [];
  afterEach(() => {
    for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
  });
  function tempDir(): string {
    const dir = mkdtempSync(join(tmpdir(), "mosaic-token-"));
    dirs.push(dir);
    return dir;
  }

  it("uses TELEMETRY_ADMIN_TOKEN when set and writes no file", () => {
    const dataDir = join(tempDir(), "data");
    const resolved = resolveAdminToken({ adminToken: "x".repeat(20), dataDir });
    expect(resolved).toEqual({ token: "x".repeat(20), source: "env" });
    expect(() => statSync(adminTokenPath(dataDir))).toThrow();
  });

  it("generates a token file with mode 0600 at first start and reuses it after", () => {
    const dataDir = join(tempDir(), "data");
    const first = resolveAdminToken({ adminToken: null, dataDir });
    expect(first.source).toEqual({ file: adminTokenPath(dataDir), created: true });
    expect(first.token.length).toBeGreaterThanOrEqual(32);
    expect(statSync(adminTokenPath(dataDir)).mode & 0o777).toBe(0o600);
    expect(readFileSync(adminTokenPath(dataDir), "utf8").trim()).toBe(first.token);
    const second = resolveAdminToken({ adminToken: null, dataDir });
    expect(second).toEqual({ token: first.token, source: { file: adminTokenPath(dataDir), created: false } });
  });

  it("refuses a token file that holds a too-short token", () => {
    const dataDir = tempDir();
    writeFileSync(adminTokenPath(dataDir), "abc\n");
    expect(() => resolveAdminToken({ adminToken: null, dataDir })).toThrow(ConfigError);
  });

  it("refuses a token file whose token a Bearer header cannot carry", () => {
    const dataDir = tempDir();
    writeFileSync(adminTokenPath(dataDir), "two words 0123456789abcdef0123456789abcdef\n");
    expect(() => resolveAdminToken({ adminToken: null, dataDir })).toThrow(/RFC 6750/);
  });

  it("generates a token that its own rule accepts", () => {
    for (let i = 0; i < 20; i++) {
      const dataDir = join(tempDir(), "data");
      const { token } = resolveAdminToken({ adminToken: null, dataDir });
      expect(adminTokenProblem(token)).toBeNull();
      expect(loadConfig({ TELEMETRY_ADMIN_TOKEN: token }, { cwd: dataDir }).adminToken).toBe(token);
    }
  });
});
