import type { FastifyInstance } from "fastify";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildApp } from "../../src/app.js";
import { injectJson, makeEvent, noDataPredictor, startTestServer, type TestServer } from "./test-server.js";

const redisUrl = process.env["MOSAIC_TEST_REDIS_URL"];
if (!redisUrl) console.warn("redis-rate-limit.test.ts: MOSAIC_TEST_REDIS_URL is unset, the shared rate-limit test is skipped");

describe.skipIf(!redisUrl)(`rate limits shared through Redis${redisUrl ? "" : " (skipped: set MOSAIC_TEST_REDIS_URL to run)"}`, () => {
  let redis: Redis;
  let server: TestServer;
  beforeAll(async () => {
    redis = new Redis(redisUrl as string, { lazyConnect: true, maxRetriesPerRequest: 1 });
    await redis.connect();
    server = await startTestServer({ inProcess: true });
  });
  afterAll(async () => {
    await server?.close();
    redis?.disconnect();
  });

  it("holds one key's limit across two app instances", async () => {
    const config = { bodyLimitBytes: 1024 * 1024, rateLimits: { eventsPerMinute: 2, predictionsPerMinute: 2 }, logLevel: "silent" as const };
    const apps = await Promise.all(
      [0, 1].map(() => buildApp({ config, storage: server.storage, predictor: noDataPredictor, logger: false, rateLimitRedis: redis })),
    );
    try {
      // Two processes behind a balancer, as far as the limit can tell: they share only Redis.
      const [first, second] = apps as [FastifyInstance, FastifyInstance];
      const send = (app: FastifyInstance) => injectJson(app, "/v1/events/batch", server.apiKey, { events: [makeEvent(server.instanceId)] });
      expect((await send(first)).status).toBe(200);
      expect((await send(second)).status).toBe(200);
      const third = await send(first);
      expect(third.status).toBe(429);
      expect(third.headers.get("retry-after")).toMatch(/^\d+$/);
    } finally {
      await Promise.all(apps.map((app) => app.close()));
    }
  });
});
