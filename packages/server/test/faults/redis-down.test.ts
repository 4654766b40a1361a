import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { makeEvent, postJson } from "../http/test-server.js";
import { eventually, TcpProxy } from "./tcp-proxy.js";
import { createInstance, readyz, removeTempDirs, revokeKey, sendOne, sharedSqliteEnv, startLoggedServer, type LoggedServer } from "./fault-servers.js";

const redisUrl = process.env["MOSAIC_TEST_REDIS_URL"];
if (!redisUrl) console.warn("redis-down.test.ts: MOSAIC_TEST_REDIS_URL is unset, the Redis-outage tests are skipped");

/** Requests per minute per key on ingest in these servers. */
const LIMIT = 3;
/** The rate limiter's Redis command timeout and probe interval (failover-rate-limit-store.ts defaults). */
const COMMAND_TIMEOUT_MS = 1000;

afterAll(() => removeTempDirs());

/**
 * Two servers on one SQLite file: A reaches Redis directly, B through a proxy the test cuts and
 * restores. The machine's Redis itself is never stopped (other test files use it).
 */
describe.skipIf(!redisUrl)(`Redis unreachable${redisUrl ? "" : " (skipped: set MOSAIC_TEST_REDIS_URL to run)"}`, () => {
  let proxy: TcpProxy;
  let a: LoggedServer;
  let b: LoggedServer;
  const redisWarnings = () => b.lines(40, /redis/i);

  beforeAll(async () => {
    const target = new URL(redisUrl as string);
    proxy = await TcpProxy.start(target.hostname, Number(target.port || 6379));
    const shared = {
      ...sharedSqliteEnv(),
      REDIS_KEY_PREFIX: `t${randomBytes(5).toString("hex")}:`,
      RATE_LIMIT_EVENTS_PER_MINUTE: String(LIMIT),
    };
    a = await startLoggedServer({ ...shared, REDIS_URL: redisUrl as string });
    b = await startLoggedServer({ ...shared, REDIS_URL: proxy.rewrite(redisUrl as string) });
  });
  afterAll(async () => {
    await Promise.all([a?.server.stop(), b?.server.stop()]);
    await proxy?.close();
  });

  it("reports Redis up in readyz while it answers", async () => {
    expect(await readyz(b.url)).toMatchObject({ status: 200, body: { status: "ready", storage: "up", redis: "up" } });
    expect(redisWarnings()).toEqual([]);
  });

  it("falls back to a per-process limit with one warning per outage, stays ready, and shares limits again once Redis returns", async () => {
    const { instanceId, key } = await createInstance(a.url);
    proxy.cut();
    expect(await eventually(async () => (await readyz(b.url)).body.redis === "down", 5000)).toBe(true);
    // Redis down does not fail readiness: the process serves on its fallbacks.
    expect((await readyz(b.url)).status).toBe(200);

    const statuses: number[] = [];
    for (let i = 0; i < LIMIT + 5; i++) statuses.push(await sendOne(b.url, key, instanceId));
    // The limit still holds, counted in this process: not "everything through", not 500s.
    expect(statuses).toEqual([...Array(LIMIT).fill(200), ...Array(5).fill(429)]);
    expect(redisWarnings()).toHaveLength(1);

    proxy.restore();
    expect(await eventually(async () => (await readyz(b.url)).body.redis === "up", 10_000)).toBe(true);
    expect(b.lines(30, /redis reachable again/)).toHaveLength(1);
    expect(redisWarnings()).toHaveLength(1);

    // Shared again: a fresh key's budget is spent across both processes together.
    const fresh = await createInstance(a.url);
    const shared = [
      await sendOne(a.url, fresh.key, fresh.instanceId),
      await sendOne(b.url, fresh.key, fresh.instanceId),
      await sendOne(a.url, fresh.key, fresh.instanceId),
      await sendOne(b.url, fresh.key, fresh.instanceId),
    ];
    expect(shared).toEqual([200, 200, 200, 429]);
  });

  it("treats a stalled Redis (connection open, no answers) as down, without slowing requests past the command timeout", async () => {
    const { instanceId, key } = await createInstance(a.url);
    const warningsBefore = redisWarnings().length;
    const backBefore = b.lines(30, /redis reachable again/).length;
    proxy.stall();
    try {
      // Answered from the local counters once the 1 s command timeout passes; the limit holds.
      const statuses: number[] = [];
      for (let i = 0; i < LIMIT + 2; i++) statuses.push(await sendOne(b.url, key, instanceId));
      expect(statuses).toEqual([...Array(LIMIT).fill(200), 429, 429]);
      expect((await readyz(b.url)).body.redis).toBe("down");
      expect(redisWarnings()).toHaveLength(warningsBefore + 1);

      // Requests keep coming during the stall, a new one every 100 ms for 3 s. Only a probe of
      // Redis waits for the command timeout, and one probe at a time runs, at most one a second;
      // every other request is counted locally at once. (Each request sent to the stalled Redis
      // waits the full timeout, so "waited about the timeout" counts Redis round trips.)
      const spanMs = 3000;
      const durations = await Promise.all(
        Array.from({ length: spanMs / 100 }, async (_, i) => {
          await new Promise((done) => setTimeout(done, i * 100));
          const started = performance.now();
          const answer = await postJson(`${b.url}/v1/events/batch`, key, { events: [makeEvent(instanceId)] });
          expect(answer.status).toBe(429);
          return performance.now() - started;
        }),
      );
      const waitedForRedis = durations.filter((ms) => ms >= COMMAND_TIMEOUT_MS * 0.8).length;
      expect(waitedForRedis).toBeLessThanOrEqual(Math.ceil(spanMs / COMMAND_TIMEOUT_MS) + 1);
      expect(waitedForRedis).toBeLessThan(durations.length / 4);
    } finally {
      proxy.unstall();
    }
    // No request needed: the link PINGs while stalled and sees Redis answer again by itself.
    expect(await eventually(async () => (await readyz(b.url)).body.redis === "up", 10_000, 100)).toBe(true);
    expect(b.lines(30, /redis reachable again/)).toHaveLength(backBefore + 1);
  });

  it("bounds a revocation missed during an outage by the key cache, and empties the cache when the channel returns", async () => {
    const { instanceId, key, keyId } = await createInstance(a.url);
    expect(await sendOne(b.url, key, instanceId)).toBe(200); // B caches the key
    proxy.cut();
    expect(await eventually(async () => (await readyz(b.url)).body.redis === "down", 5000)).toBe(true);

    expect(await revokeKey(a.url, keyId)).toBe(200);
    expect(await sendOne(a.url, key, instanceId)).toBe(401);
    // The documented bound: B, cut off from the broadcast, still trusts its cached lookup.
    expect(await sendOne(b.url, key, instanceId)).toBe(200);

    proxy.restore();
    expect(await eventually(async () => (await sendOne(b.url, key, instanceId)) === 401, 10_000, 100)).toBe(true);
    expect(b.lines(30, /key cache emptied/).length).toBeGreaterThanOrEqual(1);
  });
});

describe.skipIf(!redisUrl)(`Redis unreachable at start${redisUrl ? "" : " (skipped: set MOSAIC_TEST_REDIS_URL to run)"}`, () => {
  it("starts on the fallbacks, warns once, and joins Redis when it appears", async () => {
    const target = new URL(redisUrl as string);
    const proxy = await TcpProxy.start(target.hostname, Number(target.port || 6379));
    proxy.cut();
    const server = await startLoggedServer({
      ...sharedSqliteEnv(),
      REDIS_URL: proxy.rewrite(redisUrl as string).replace("redis://", "redis://:not-a-real-secret@"),
      REDIS_KEY_PREFIX: `t${randomBytes(5).toString("hex")}:`,
    });
    try {
      expect(await readyz(server.url)).toMatchObject({ status: 200, body: { redis: "down" } });
      const warnings = server.lines(40, /redis unreachable/);
      expect(warnings).toHaveLength(1);
      expect(server.logs.join("\n")).not.toContain("not-a-real-secret");
      const { instanceId, key } = await createInstance(server.url);
      expect(await sendOne(server.url, key, instanceId)).toBe(200);

      proxy.restore();
      expect(await eventually(async () => (await readyz(server.url)).body.redis === "up", 10_000)).toBe(true);
      expect(server.lines(40, /redis/i)).toHaveLength(1);
      // It served (and cached keys) without the revocation channel: its first subscription empties the cache.
      expect(await eventually(() => server.lines(30, /key cache emptied/).length === 1, 5000)).toBe(true);
    } finally {
      await server.server.stop();
      await proxy.close();
    }
  });
});

describe.skipIf(!redisUrl)(`Redis stalled at shutdown${redisUrl ? "" : " (skipped: set MOSAIC_TEST_REDIS_URL to run)"}`, () => {
  it("stops (stop() resolves) and closes storage although Redis answers nothing", async () => {
    const target = new URL(redisUrl as string);
    const proxy = await TcpProxy.start(target.hostname, Number(target.port || 6379));
    const server = await startLoggedServer({
      ...sharedSqliteEnv(),
      REDIS_URL: proxy.rewrite(redisUrl as string),
      REDIS_KEY_PREFIX: `t${randomBytes(5).toString("hex")}:`,
    });
    try {
      expect((await readyz(server.url)).body.redis).toBe("up");
      const { instanceId, key } = await createInstance(server.url);
      expect(await sendOne(server.url, key, instanceId)).toBe(200);
      proxy.stall();
      // Before the fix, QUIT waited for an answer forever and storage.close() never ran.
      await server.server.stop();
      await expect(server.server.storage.ping()).rejects.toThrow();
    } finally {
      await server.server.stop();
      await proxy.close();
    }
  });
});
