import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openStorage } from "../../src/storage/open-storage.js";
import { createTestSchema, type TestSchema } from "../helpers/postgres-schema.js";
import { ADMIN_TOKEN, makeEvent, postJson, request, startTestServer, type TestServer } from "./test-server.js";

const url = process.env["MOSAIC_TEST_DATABASE_URL"];
if (!url) console.warn("postgres-http.test.ts: MOSAIC_TEST_DATABASE_URL is unset, the HTTP-over-PostgreSQL tests are skipped");

describe.skipIf(!url)(`the API over PostgreSQL${url ? "" : " (skipped: set MOSAIC_TEST_DATABASE_URL to run)"}`, () => {
  let schema: TestSchema;
  let server: TestServer;

  beforeAll(async () => {
    schema = await createTestSchema(url as string, "http");
    server = await startTestServer({ storage: await openStorage({ engine: "postgres", url: schema.url }) });
  });
  afterAll(async () => {
    await server?.close();
    await schema?.drop();
  });

  it("ingests with dedup, refuses another instance's events, and administers keys", async () => {
    const event = makeEvent(server.instanceId);
    const first = await postJson(`${server.url}/v1/events/batch`, server.apiKey, { events: [event, event] });
    expect(first.body).toMatchObject({ accepted: 1, duplicates: 1, rejected: 0 });

    const created = await postJson(`${server.url}/v1/admin/instances`, ADMIN_TOKEN, { name: "pg" });
    expect(created.status).toBe(201);
    const mismatch = await postJson(`${server.url}/v1/events/batch`, server.apiKey, {
      events: [makeEvent(created.body.instance.id)],
    });
    expect(mismatch.status).toBe(403);

    const revoked = await request("DELETE", `${server.url}/v1/admin/keys/${created.body.api_key.id}`, ADMIN_TOKEN);
    expect(revoked.status).toBe(200);
    const refused = await postJson(`${server.url}/v1/events/batch`, created.body.api_key.key, {
      events: [makeEvent(created.body.instance.id)],
    });
    expect(refused.status).toBe(401);
    expect((await request("GET", `${server.url}/readyz`, null)).status).toBe(200);
    expect((await request("GET", `${server.url}/v1/admin/keys/not-a-uuid`, ADMIN_TOKEN)).status).toBe(404);
    const unknown = await request("DELETE", `${server.url}/v1/admin/keys/not-a-uuid`, ADMIN_TOKEN);
    expect(unknown.status).toBe(404);
    expect(unknown.body.error.code).toBe("not_found");
  });
});
