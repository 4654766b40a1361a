import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ENGINES, engineTitle, freshDatabase, type EngineDatabase } from "../helpers/engines.js";
import { ADMIN_TOKEN, injectJson, injectRequest, makeEvent, startTestServer, type TestServer } from "./test-server.js";

/** The API over each engine's storage, in-process: PostgreSQL is the case this file exists for, SQLite the reference. */
for (const engine of ENGINES) {
  describe.skipIf(engine.skip !== null)(engineTitle(engine, `the API over ${engine.name}`), () => {
    let database: EngineDatabase;
    let server: TestServer;

    beforeAll(async () => {
      database = await freshDatabase(engine.name, "http");
      server = await startTestServer({ storage: await database.open(), inProcess: true });
    });
    afterAll(async () => {
      await server?.close();
      await database?.drop();
    });

    it("ingests with dedup, refuses another instance's events, and administers keys", async () => {
      const event = makeEvent(server.instanceId);
      const first = await injectJson(server.app, "/v1/events/batch", server.apiKey, { events: [event, event] });
      expect(first.body).toMatchObject({ accepted: 1, duplicates: 1, rejected: 0 });

      const created = await injectJson(server.app, "/v1/admin/instances", ADMIN_TOKEN, { name: "pg" });
      expect(created.status).toBe(201);
      const mismatch = await injectJson(server.app, "/v1/events/batch", server.apiKey, {
        events: [makeEvent(created.body.instance.id)],
      });
      expect(mismatch.status).toBe(403);

      const revoked = await injectRequest(server.app, "DELETE", `/v1/admin/keys/${created.body.api_key.id}`, ADMIN_TOKEN);
      expect(revoked.status).toBe(200);
      const refused = await injectJson(server.app, "/v1/events/batch", created.body.api_key.key, {
        events: [makeEvent(created.body.instance.id)],
      });
      expect(refused.status).toBe(401);
      expect((await injectRequest(server.app, "GET", "/readyz", null)).status).toBe(200);
      expect((await injectRequest(server.app, "GET", "/v1/admin/keys/not-a-uuid", ADMIN_TOKEN)).status).toBe(404);
      const unknown = await injectRequest(server.app, "DELETE", "/v1/admin/keys/not-a-uuid", ADMIN_TOKEN);
      expect(unknown.status).toBe(404);
      expect(unknown.body.error.code).toBe("not_found");
    });
  });
}
