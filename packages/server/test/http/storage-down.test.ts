import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ADMIN_TOKEN, injectJson, injectRequest, makeEvent, startTestServer, type TestServer } from "./test-server.js";

describe("storage down", () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer({ inProcess: true });
    // A first request caches the key, so the ingest below reaches storage.ingestEvents.
    await injectJson(server.app, "/v1/events/batch", server.apiKey, { events: [makeEvent(server.instanceId)] });
    await server.storage.close();
  });
  afterAll(async () => server.close());

  it("answers ingest 503 storage_unavailable with Retry-After, no internals", async () => {
    const answer = await injectJson(server.app, "/v1/events/batch", server.apiKey, { events: [makeEvent(server.instanceId)] });
    expect(answer.status).toBe(503);
    expect(answer.body.error.code).toBe("storage_unavailable");
    expect(answer.headers.get("retry-after")).toMatch(/^\d+$/);
    expect(JSON.stringify(answer.body)).not.toMatch(/sqlite|stack|at /i);
  });

  it("answers the admin API 503 too", async () => {
    const answer = await injectRequest(server.app, "GET", "/v1/admin/instances", ADMIN_TOKEN);
    expect(answer.status).toBe(503);
    expect(answer.body.error.code).toBe("storage_unavailable");
  });
});
