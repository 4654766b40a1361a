import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ADMIN_TOKEN, inject, injectRequest, startTestServer, type TestServer } from "../http/test-server.js";

/**
 * Every admin route (auth.test.ts checks one) refuses every credential but the admin token, and a
 * refused call changes nothing: no instance created, no key issued, no key revoked.
 */
describe("admin routes refuse an API key and an absent or wrong token, on every route", () => {
  let server: TestServer;
  let instance: { instanceId: string; apiKey: string; apiKeyId: string };
  beforeAll(async () => {
    // 51 refusals from one address: more than the auth-failure throttle allows (auth-throttle.test.ts tests it).
    server = await startTestServer({ config: { authFailuresPerMinute: 0 }, inProcess: true });
    // The server's one instance (seeded with its first key) is the target.
    instance = server;
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
    ["the token cut short", { authorization: `Bearer ${ADMIN_TOKEN.slice(0, -1)}` }],
    ["the token with a suffix", { authorization: `Bearer ${ADMIN_TOKEN}0` }],
    ["the token in another case", { authorization: `Bearer ${ADMIN_TOKEN.toUpperCase()}` }],
    ["the token as Basic auth", { authorization: `Basic ${Buffer.from(`admin:${ADMIN_TOKEN}`).toString("base64")}` }],
    ["the token in another header", { "x-admin-token": ADMIN_TOKEN }],
    ["the token as a cookie", { cookie: `token=${ADMIN_TOKEN}` }],
    ["an empty bearer", { authorization: "Bearer " }],
  ];

  it("answers 401 unauthorized with code and message to each route for each wrong credential", async () => {
    let checked = 0;
    for (const route of routes()) {
      for (const [name, headers] of credentials()) {
        const answer = await inject(server.app, route.path, { method: route.method, body: route.body, headers });
        expect(answer.status, `${route.method} ${route.path} with ${name}`).toBe(401);
        expect(answer.body.error?.code).toBe("unauthorized");
        expect(answer.body.error?.message.length).toBeGreaterThan(0);
        checked++;
      }
    }
    expect(checked).toBe(50);
    // The token in a query string is no credential either.
    const query = await injectRequest(server.app, "GET", `/v1/admin/instances?token=${ADMIN_TOKEN}`, null);
    expect(query.status).toBe(401);
  });

  it("nothing changed: one instance, its one key not revoked and still working", async () => {
    const listed = (await injectRequest(server.app, "GET", "/v1/admin/instances", ADMIN_TOKEN)).body as {
      instances: { id: string; keys: { id: string; revoked_at: string | null }[] }[];
    };
    expect(listed.instances.map((entry) => entry.id)).toEqual([instance.instanceId]);
    expect(listed.instances[0]?.keys).toEqual([expect.objectContaining({ id: instance.apiKeyId, revoked_at: null })]);
    const predictions = await inject(server.app, "/v1/predictions/batch", {
      token: instance.apiKey,
      body: { queries: [{ task_type: "testing", model: "m", provider: "openai", complexity: "low" }] },
    });
    expect(predictions.status).toBe(200);
    const usage = await injectRequest(server.app, "GET", `/v1/admin/instances/${instance.instanceId}/usage`, ADMIN_TOKEN);
    expect(usage.status).toBe(200);
    expect(usage.body.events).toBe(0);
  });
});
