import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildApp } from "../../src/app.js";
import { makeEvent, noDataPredictor, postJson, startTestServer, type TestServer } from "./test-server.js";

const redisUrl = process.env["MOSAIC_TEST_REDIS_URL"];
if (!redisUrl) console.warn("redis-rate-limit.test.ts: MOSAIC_TEST_REDIS_URL is unset, the shared rate-limit test is skipped");

describe.skipIf(!redisUrl)(`rate limits shared through Redis${redisUrl ? "" : " (skipped: set MOSAIC_TEST_REDIS_URL to run)"}`, () => {
  let redis: Redis;
  let server: TestServer;
  beforeAll(async () => {
    redis = new Redis(redisUrl as string, { lazyConnect: true, maxRetriesPerRequest: 1 });
    await redis.connect();
    server = await startTestServer();
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
      const urls = await Promise.all(apps.map((app) => app.listen({ port: 0, host: "127.0.0.1" })));
      const send = (url: string) => postJson(`${url}/v1/events/batch`, server.apiKey, { events: [makeEvent(server.instanceId)] });
      expect((await send(urls[0] as string)).status).toBe(200);
      expect((await send(urls[1] as string)).status).toBe(200);
      const third = await send(urls[0] as string);
      expect(third.status).toBe(429);
      expect(third.headers.get("retry-after")).toMatch(/^\d+$/);
    } finally {
      await Promise.all(apps.map((app) => app.close()));
    }
  });
});
