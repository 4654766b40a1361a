import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { injectJson, makeEvent, seedInstance, startTestServer, type TestServer } from "./test-server.js";

const QUERY = { task_type: "implementation", model: "claude-sonnet-4-5", provider: "anthropic", complexity: "medium" };

describe("rate limits per API key", () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer({ config: { rateLimits: { eventsPerMinute: 2, predictionsPerMinute: 3 } }, inProcess: true });
  });
  afterAll(async () => server.close());

  it("answers 429 rate_limited with Retry-After and RateLimit headers past the events limit", async () => {
    const url = "/v1/events/batch";
    const first = await injectJson(server.app, url, server.apiKey, { events: [makeEvent(server.instanceId)] });
    expect(first.status).toBe(200);
    expect(first.headers.get("ratelimit-limit")).toBe("2");
    expect(first.headers.get("ratelimit-remaining")).toBe("1");
    expect(Number(first.headers.get("ratelimit-reset"))).toBeGreaterThan(0);
    expect((await injectJson(server.app, url, server.apiKey, { events: [makeEvent(server.instanceId)] })).status).toBe(200);

    const limited = await injectJson(server.app, url, server.apiKey, { events: [makeEvent(server.instanceId)] });
    expect(limited.status).toBe(429);
    expect(limited.body.error.code).toBe("rate_limited");
    expect(limited.headers.get("retry-after")).toMatch(/^\d+$/);
    expect(Number(limited.headers.get("retry-after"))).toBeGreaterThan(0);
    expect(limited.headers.get("ratelimit-limit")).toBe("2");
    expect(limited.headers.get("ratelimit-remaining")).toBe("0");
    expect(limited.headers.get("ratelimit-reset")).toMatch(/^\d+$/);
    expect(limited.headers.get("api-version")).toBe("1");
  });

  it("counts each key separately", async () => {
    const other = await seedInstance(server.storage, "other");
    const answer = await injectJson(server.app, "/v1/events/batch", other.apiKey, { events: [makeEvent(other.instanceId)] });
    expect(answer.status).toBe(200);
    expect(answer.headers.get("ratelimit-remaining")).toBe("1");
  });

  it("counts predictions apart from events", async () => {
    const url = "/v1/predictions/batch";
    for (let i = 0; i < 3; i++) {
      const answer = await injectJson(server.app, url, server.apiKey, { queries: [QUERY] });
      expect(answer.status).toBe(200);
      expect(answer.headers.get("ratelimit-limit")).toBe("3");
    }
    const limited = await injectJson(server.app, url, server.apiKey, { queries: [QUERY] });
    expect(limited.status).toBe(429);
    expect(limited.body.error.code).toBe("rate_limited");
  });

  it("does not count unauthenticated requests against a key", async () => {
    const other = await seedInstance(server.storage, "third");
    for (let i = 0; i < 3; i++) {
      expect((await injectJson(server.app, "/v1/events/batch", "msk_nope", { events: [] })).status).toBe(401);
    }
    expect((await injectJson(server.app, "/v1/events/batch", other.apiKey, { events: [makeEvent(other.instanceId)] })).status).toBe(200);
  });
});
