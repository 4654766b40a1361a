import { randomBytes } from "node:crypto";
import { Redis } from "ioredis";
import type { FastifyInstance } from "fastify";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildApp } from "../../src/app.js";
import { ADMIN_TOKEN, inject, makeEvent, noDataPredictor, startTestServer, type TestServer } from "../http/test-server.js";

/**
 * Failed authentication is throttled per client address (issue 12: 1,500 wrong admin tokens at
 * 1,150/s): admin token and API keys alike, 429 with Retry-After once an address has failed
 * AUTH_FAILURES_PER_MINUTE times in a minute, its credentials then not even checked. Client
 * addresses come from X-Forwarded-For here (TRUST_PROXY), so one loopback client can be several.
 */
const LIMIT = 5;
const redisUrl = process.env["MOSAIC_TEST_REDIS_URL"];
if (!redisUrl) console.warn("auth-throttle.test.ts: MOSAIC_TEST_REDIS_URL is unset, the several-processes case is skipped");

const config = (authFailuresPerMinute = LIMIT) => ({
  bodyLimitBytes: 1024 * 1024,
  rateLimits: { eventsPerMinute: 1_000, predictionsPerMinute: 1_000 },
  logLevel: "silent" as const,
  authFailuresPerMinute,
  trustProxy: true,
});

/** A request from `address` as a trusted proxy names it (the socket itself is loopback). */
function call(app: FastifyInstance, address: string, path: string, token: string | null, body?: unknown) {
  return inject(app, path, { token, body, remoteAddress: "127.0.0.1", headers: { "x-forwarded-for": address } });
}

describe("failed authentication, throttled per client address in one process", () => {
  let server: TestServer;
  let clock = Date.parse("2026-12-04T12:00:00Z");
  let app: FastifyInstance;
  beforeAll(async () => {
    server = await startTestServer({ inProcess: true });
    app = await buildApp({ config: config(), storage: server.storage, predictor: noDataPredictor, adminToken: ADMIN_TOKEN, logger: false, now: () => new Date(clock) });
  });
  afterAll(async () => {
    await app?.close();
    await server?.close();
  });

  const events = () => ({ events: [makeEvent(server.instanceId)] });

  it("refuses an address with 429 and Retry-After after LIMIT wrong admin tokens, even the right token then, until the minute ends", async () => {
    for (let i = 0; i < LIMIT; i++) expect((await call(app, "203.0.113.1", "/v1/admin/instances", `wrong-token-${i}-0123456789abcdef0123`)).status).toBe(401);
    const refused = await call(app, "203.0.113.1", "/v1/admin/instances", `wrong-token-0123456789abcdef0123456789`);
    expect(refused.status).toBe(429);
    expect(refused.body.error.code).toBe("rate_limited");
    expect(Number(refused.headers.get("retry-after"))).toBeGreaterThan(0);
    expect(Number(refused.headers.get("retry-after"))).toBeLessThanOrEqual(60);
    // The right token is not even compared while the address is refused: a guess learns nothing.
    expect((await call(app, "203.0.113.1", "/v1/admin/instances", ADMIN_TOKEN)).status).toBe(429);
    // Another address is not affected.
    expect((await call(app, "203.0.113.2", "/v1/admin/instances", ADMIN_TOKEN)).status).toBe(200);
    clock += 61_000;
    expect((await call(app, "203.0.113.1", "/v1/admin/instances", ADMIN_TOKEN)).status).toBe(200);
  });

  it("counts wrong API keys of every kind (missing, malformed, unknown) the same way; a key already verified keeps working", async () => {
    const address = "198.51.100.7";
    // The client's own key, used before the guessing starts: this process has verified it.
    expect((await call(app, address, "/v1/events/batch", server.apiKey, events())).status).toBe(200);
    const unknown = `msk_${randomBytes(24).toString("hex")}_abcdef`;
    const wrong = [null, "not-a-key", unknown, `${server.apiKey}x`, "msk_short"];
    for (const token of wrong) expect((await call(app, address, "/v1/events/batch", token, events())).status).toBe(401);
    const refused = await call(app, address, "/v1/events/batch", unknown, events());
    expect(refused.status).toBe(429);
    expect(refused.headers.get("retry-after")).toMatch(/^\d+$/);
    // Successful requests of the same address: the verified key passes without a lookup.
    expect((await call(app, address, "/v1/events/batch", server.apiKey, events())).status).toBe(200);
    expect((await call(app, address, "/v1/predictions/batch", server.apiKey, { queries: [{ task_type: "testing", model: "m", provider: "openai", complexity: "low" }] })).status).toBe(200);
  });

  it("counts wrong metrics tokens too: an address guessing at GET /metrics gets 429, and the right token then waits out the minute", async () => {
    const metricsToken = "metrics-token-0123456789abcdefghij";
    const withMetrics = await buildApp({
      config: { ...config(), metricsToken },
      storage: server.storage,
      predictor: noDataPredictor,
      adminToken: ADMIN_TOKEN,
      logger: false,
      now: () => new Date(clock),
    });
    try {
      for (let i = 0; i < LIMIT; i++) expect((await call(withMetrics, "203.0.113.30", "/metrics", `${metricsToken}-${i}`)).status).toBe(401);
      const refused = await call(withMetrics, "203.0.113.30", "/metrics", metricsToken);
      expect(refused.status).toBe(429);
      expect(Number(refused.headers.get("retry-after"))).toBeGreaterThan(0);
      expect((await call(withMetrics, "203.0.113.31", "/metrics", metricsToken)).status).toBe(200);
      clock += 61_000;
      expect((await call(withMetrics, "203.0.113.30", "/metrics", metricsToken)).status).toBe(200);
    } finally {
      await withMetrics.close();
    }
  });

  it("does not count successful requests", async () => {
    const address = "192.0.2.55";
    for (let i = 0; i < LIMIT * 3; i++) expect((await call(app, address, "/v1/admin/instances", ADMIN_TOKEN)).status).toBe(200);
    for (let i = 0; i < LIMIT - 1; i++) expect((await call(app, address, "/v1/admin/instances", null)).status).toBe(401);
    expect((await call(app, address, "/v1/admin/instances", ADMIN_TOKEN)).status).toBe(200);
  });

  it("is off with AUTH_FAILURES_PER_MINUTE=0", async () => {
    const open = await buildApp({ config: config(0), storage: server.storage, predictor: noDataPredictor, adminToken: ADMIN_TOKEN, logger: false });
    try {
      for (let i = 0; i < 50; i++) expect((await call(open, "203.0.113.9", "/v1/admin/instances", null)).status).toBe(401);
      expect((await call(open, "203.0.113.9", "/v1/admin/instances", ADMIN_TOKEN)).status).toBe(200);
    } finally {
      await open.close();
    }
  });

  it("takes the socket's address, not X-Forwarded-For, when no proxy is trusted", async () => {
    const direct = await buildApp({ config: { ...config(), trustProxy: false }, storage: server.storage, predictor: noDataPredictor, adminToken: ADMIN_TOKEN, logger: false });
    try {
      // A guesser cannot dodge the throttle by naming a new address in each request.
      for (let i = 0; i < LIMIT; i++) expect((await call(direct, `203.0.113.${100 + i}`, "/v1/admin/instances", null)).status).toBe(401);
      expect((await call(direct, "203.0.113.200", "/v1/admin/instances", null)).status).toBe(429);
    } finally {
      await direct.close();
    }
  });
});

describe.skipIf(!redisUrl)(`failed authentication, throttled across processes through Redis${redisUrl ? "" : " (skipped: set MOSAIC_TEST_REDIS_URL to run)"}`, () => {
  let redis: Redis;
  let server: TestServer;
  let apps: FastifyInstance[] = [];
  beforeAll(async () => {
    redis = new Redis(redisUrl as string, { lazyConnect: true, maxRetriesPerRequest: 1 });
    await redis.connect();
    server = await startTestServer({ inProcess: true });
    // A key prefix of its own: counts of another run or test never meet these.
    const prefix = `test-auth-${randomBytes(6).toString("hex")}:`;
    apps = await Promise.all(
      [0, 1].map(() =>
        buildApp({ config: config(), storage: server.storage, predictor: noDataPredictor, adminToken: ADMIN_TOKEN, logger: false, rateLimitRedis: redis, rateLimitKeyPrefix: prefix }),
      ),
    );
  });
  afterAll(async () => {
    await Promise.all(apps.map((app) => app.close()));
    await server?.close();
    redis?.disconnect();
  });

  it("adds up one address's failures on both processes", async () => {
    const [a, b] = apps as [FastifyInstance, FastifyInstance];
    const address = "203.0.113.77";
    for (let i = 0; i < 3; i++) expect((await call(a, address, "/v1/admin/instances", null)).status).toBe(401);
    expect((await call(b, address, "/v1/admin/instances", null)).status).toBe(401);
    // The fifth failure overall, on b: from now on b refuses the address.
    expect((await call(b, address, "/v1/admin/instances", null)).status).toBe(401);
    expect((await call(b, address, "/v1/admin/instances", ADMIN_TOKEN)).status).toBe(429);
    // a learns it at its next failure (the shared count is past the limit), then refuses too.
    expect((await call(a, address, "/v1/admin/instances", null)).status).toBe(401);
    const refused = await call(a, address, "/v1/admin/instances", ADMIN_TOKEN);
    expect(refused.status).toBe(429);
    expect(Number(refused.headers.get("retry-after"))).toBeLessThanOrEqual(60);
  });
});
