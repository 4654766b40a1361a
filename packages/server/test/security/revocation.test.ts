import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { validEvent } from "../fuzz/bad-bodies.js";
import { LIVE_ADMIN_TOKEN, createInstance, startLiveServer, usageOf, type CreatedInstance, type LiveServer } from "../e2e/live-server.js";

/**
 * A revoked key stops on the very next request, on both data routes, even when every request
 * before it was served from the key cache; the instance's other key keeps working. (auth.test.ts
 * checks the events route; this adds predictions, the sibling key and a key revoked mid-stream.)
 */
describe("revoked keys stop at once", () => {
  let server: LiveServer;
  let instance: CreatedInstance;
  let sibling: { id: string; key: string };
  beforeAll(async () => {
    // A client looping on its revoked key causes more 401s than the auth-failure throttle allows one
    // address (it would answer 429 from the 31st on): off here, tested in auth-throttle.test.ts.
    server = await startLiveServer({ authFailuresPerMinute: 0 });
    instance = await createInstance(server.url, "revocation");
    const issued = await fetch(`${server.url}/v1/admin/instances/${instance.instanceId}/keys`, {
      method: "POST",
      headers: { authorization: `Bearer ${LIVE_ADMIN_TOKEN}` },
    });
    const body = (await issued.json()) as { api_key: { id: string; key: string } };
    sibling = body.api_key;
  });
  afterAll(async () => server?.close());

  const post = (path: string, key: string, body: unknown) =>
    fetch(`${server.url}${path}`, { method: "POST", headers: { "content-type": "application/json", authorization: `Bearer ${key}` }, body: JSON.stringify(body) });
  const ingest = (key: string) => post("/v1/events/batch", key, { events: [validEvent(instance.instanceId)] });
  const predict = (key: string) => post("/v1/predictions/batch", key, { queries: [{ task_type: "testing", model: "m", provider: "openai", complexity: "low" }] });

  it("the key answers on both routes, is revoked, and the very next request on each route is 401", async () => {
    // Several requests first, so the key sits in the server's cache.
    for (let i = 0; i < 3; i++) {
      expect((await ingest(instance.apiKey)).status).toBe(200);
      expect((await predict(instance.apiKey)).status).toBe(200);
    }
    const revoked = await fetch(`${server.url}/v1/admin/keys/${instance.apiKeyId}`, { method: "DELETE", headers: { authorization: `Bearer ${LIVE_ADMIN_TOKEN}` } });
    expect(revoked.status).toBe(200);
    const events = await ingest(instance.apiKey);
    expect(events.status).toBe(401);
    expect(((await events.json()) as { error: { code: string } }).error.code).toBe("unauthorized");
    expect((await predict(instance.apiKey)).status).toBe(401);
    expect((await usageOf(server.url, instance.instanceId)).events).toBe(3);
  });

  it("the instance's other key keeps working", async () => {
    expect((await ingest(sibling.key)).status).toBe(200);
    expect((await predict(sibling.key)).status).toBe(200);
  });

  it("a key revoked while a client sends in a loop: every answer after the revocation's is 401", async () => {
    const statuses: { status: number; after: boolean }[] = [];
    let revokedAt = false;
    const sender = (async () => {
      for (let i = 0; i < 40; i++) {
        const after = revokedAt;
        statuses.push({ status: (await ingest(sibling.key)).status, after });
      }
    })();
    while (statuses.length < 10) await new Promise((resolve) => setImmediate(resolve));
    const answer = await fetch(`${server.url}/v1/admin/keys/${sibling.id}`, { method: "DELETE", headers: { authorization: `Bearer ${LIVE_ADMIN_TOKEN}` } });
    expect(answer.status).toBe(200);
    revokedAt = true;
    await sender;
    // A request that started after the revocation was answered is refused, without exception.
    const after = statuses.filter((entry) => entry.after);
    expect(after.length).toBeGreaterThan(0);
    expect(after.every((entry) => entry.status === 401)).toBe(true);
    expect(statuses.slice(0, 10).every((entry) => entry.status === 200)).toBe(true);
  });
});
