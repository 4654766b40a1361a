import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { LIVE_ADMIN_TOKEN, createInstance, startLiveServer, usageOf, type CreatedInstance, type LiveServer } from "../e2e/live-server.js";

/**
 * Every admin route (auth.test.ts checks one) refuses every credential but the admin token, and a
 * refused call changes nothing: no instance created, no key issued, no key revoked.
 */
describe("admin routes refuse an API key and an absent or wrong token, on every route", () => {
  let server: LiveServer;
  let instance: CreatedInstance;
  beforeAll(async () => {
    // 51 refusals from one address: more than the auth-failure throttle allows (auth-throttle.test.ts tests it).
    server = await startLiveServer({ authFailuresPerMinute: 0 });
    instance = await createInstance(server.url, "target");
  });
  afterAll(async () => server?.close());

  const routes = () => [
    { method: "POST", path: "/v1/admin/instances", body: { name: "intruder" } },
    { method: "GET", path: "/v1/admin/instances" },
    { method: "POST", path: `/v1/admin/instances/${instance.instanceId}/keys`, body: {} },
    { method: "DELETE", path: `/v1/admin/keys/${instance.apiKeyId}` },
    { method: "GET", path: `/v1/admin/instances/${instance.instanceId}/usage` },
  ];
  const credentials = (): [string, Record<string, string>][] => [
    ["no credential", {}],
    ["the instance's own API key", { authorization: `Bearer ${instance.apiKey}` }],
    ["a wrong token", { authorization: "Bearer wrong-admin-token-0123456789abcdef" }],
    ["the token cut short", { authorization: `Bearer ${LIVE_ADMIN_TOKEN.slice(0, -1)}` }],
    ["the token with a suffix", { authorization: `Bearer ${LIVE_ADMIN_TOKEN}0` }],
    ["the token in another case", { authorization: `Bearer ${LIVE_ADMIN_TOKEN.toUpperCase()}` }],
    ["the token as Basic auth", { authorization: `Basic ${Buffer.from(`admin:${LIVE_ADMIN_TOKEN}`).toString("base64")}` }],
    ["the token in another header", { "x-admin-token": LIVE_ADMIN_TOKEN }],
    ["the token as a cookie", { cookie: `token=${LIVE_ADMIN_TOKEN}` }],
    ["an empty bearer", { authorization: "Bearer " }],
  ];

  it("answers 401 unauthorized with code and message to each route for each wrong credential", async () => {
    let checked = 0;
    for (const route of routes()) {
      for (const [name, headers] of credentials()) {
        const response = await fetch(`${server.url}${route.path}`, {
          method: route.method,
          headers: { ...headers, ...(route.body ? { "content-type": "application/json" } : {}) },
          ...(route.body ? { body: JSON.stringify(route.body) } : {}),
        });
        const body = (await response.json()) as { error?: { code: string; message: string } };
        expect(response.status, `${route.method} ${route.path} with ${name}`).toBe(401);
        expect(body.error?.code).toBe("unauthorized");
        expect(body.error?.message.length).toBeGreaterThan(0);
        checked++;
      }
    }
    expect(checked).toBe(50);
    // The token in a query string is no credential either.
    const query = await fetch(`${server.url}/v1/admin/instances?token=${LIVE_ADMIN_TOKEN}`);
    expect(query.status).toBe(401);
  });

  it("nothing changed: one instance, its one key not revoked and still working", async () => {
    const listed = (await (await fetch(`${server.url}/v1/admin/instances`, { headers: { authorization: `Bearer ${LIVE_ADMIN_TOKEN}` } })).json()) as {
      instances: { id: string; keys: { id: string; revoked_at: string | null }[] }[];
    };
    expect(listed.instances.map((entry) => entry.id)).toEqual([instance.instanceId]);
    expect(listed.instances[0]?.keys).toEqual([expect.objectContaining({ id: instance.apiKeyId, revoked_at: null })]);
    const predictions = await fetch(`${server.url}/v1/predictions/batch`, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${instance.apiKey}` },
      body: JSON.stringify({ queries: [{ task_type: "testing", model: "m", provider: "openai", complexity: "low" }] }),
    });
    expect(predictions.status).toBe(200);
    expect((await usageOf(server.url, instance.instanceId)).events).toBe(0);
  });
});
