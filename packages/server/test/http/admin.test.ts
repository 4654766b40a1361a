import { randomUUID } from "node:crypto";
import { isWellFormedApiKey } from "@mosaicstack/telemetry-protocol";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ADMIN_TOKEN, injectJson, injectRequest, makeEvent, startTestServer, type TestServer } from "./test-server.js";

describe("admin API", () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer({ inProcess: true });
  });
  afterAll(async () => server.close());

  it("creates an instance with a first key that works, shown in full once", async () => {
    const created = await injectJson(server.app, `/v1/admin/instances`, ADMIN_TOKEN, { name: "acme-ci" });
    expect(created.status).toBe(201);
    const { instance, api_key } = created.body;
    expect(instance).toMatchObject({ name: "acme-ci" });
    expect(instance.id).toMatch(/^[0-9a-f-]{36}$/);
    expect(isWellFormedApiKey(api_key.key)).toBe(true);
    expect(api_key).toMatchObject({ instance_id: instance.id, revoked_at: null, expires_at: null });
    expect(api_key.display).toBe(`${api_key.key.slice(0, 8)}…${api_key.key.slice(-4)}`);

    const ingest = await injectJson(server.app, `/v1/events/batch`, api_key.key, { events: [makeEvent(instance.id)] });
    expect(ingest.status).toBe(200);

    const list = await injectRequest(server.app, "GET", `/v1/admin/instances`, ADMIN_TOKEN);
    expect(list.status).toBe(200);
    const listed = list.body.instances.find((entry: { id: string }) => entry.id === instance.id);
    expect(listed.keys).toEqual([
      {
        id: api_key.id,
        instance_id: instance.id,
        display: api_key.display,
        created_at: api_key.created_at,
        revoked_at: null,
        expires_at: null,
      },
    ]);
    expect(JSON.stringify(list.body)).not.toContain(api_key.key);

    const usage = await injectRequest(server.app, "GET", `/v1/admin/instances/${instance.id}/usage`, ADMIN_TOKEN);
    expect(usage.status).toBe(200);
    expect(usage.body).toMatchObject({ instance_id: instance.id, events: 1 });
    expect(typeof usage.body.first_event_at).toBe("string");
  });

  it("issues an additional key and revokes one", async () => {
    const issued = await injectRequest(server.app, "POST", `/v1/admin/instances/${server.instanceId}/keys`, ADMIN_TOKEN);
    expect(issued.status).toBe(201);
    const key = issued.body.api_key;
    expect(isWellFormedApiKey(key.key)).toBe(true);
    expect(key.instance_id).toBe(server.instanceId);

    const revoked = await injectRequest(server.app, "DELETE", `/v1/admin/keys/${key.id}`, ADMIN_TOKEN);
    expect(revoked.status).toBe(200);
    expect(revoked.body.api_key.id).toBe(key.id);
    expect(typeof revoked.body.api_key.revoked_at).toBe("string");
    expect(revoked.body.api_key.key).toBeUndefined();

    // The other key of the instance keeps working.
    const ingest = await injectJson(server.app, `/v1/events/batch`, server.apiKey, { events: [makeEvent(server.instanceId)] });
    expect(ingest.status).toBe(200);
  });

  it.each([
    ["POST", () => `/v1/admin/instances/${randomUUID()}/keys`],
    ["GET", () => `/v1/admin/instances/${randomUUID()}/usage`],
    ["DELETE", () => `/v1/admin/keys/${randomUUID()}`],
    ["DELETE", () => "/v1/admin/keys/not-a-uuid"],
    ["GET", () => "/v1/admin/instances/'; drop table x;--/usage"],
  ])("answers 404 not_found for %s on an unknown id", async (method, path) => {
    const answer = await injectRequest(server.app, method, path(), ADMIN_TOKEN);
    expect(answer.status).toBe(404);
    expect(answer.body.error.code).toBe("not_found");
  });

  it.each([
    ["no name", {}],
    ["an empty name", { name: "" }],
    ["a name that is not a string", { name: 12 }],
    ["a name over 200 characters", { name: "n".repeat(201) }],
  ])("answers 400 invalid_request for %s", async (_case, body) => {
    const answer = await injectJson(server.app, `/v1/admin/instances`, ADMIN_TOKEN, body);
    expect(answer.status).toBe(400);
    expect(answer.body.error.code).toBe("invalid_request");
  });
});
