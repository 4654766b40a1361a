import { formatApiKey } from "@mosaicstack/telemetry-protocol";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { generateApiKey } from "../../src/auth/api-key-generator.js";
import { ADMIN_TOKEN, injectJson, injectRequest, makeEvent, startTestServer, type TestServer } from "./test-server.js";

describe("API key auth on /v1/", () => {
  let server: TestServer;
  let url: string;
  beforeAll(async () => {
    server = await startTestServer({ inProcess: true });
    url = "/v1/events/batch";
  });
  afterAll(async () => server.close());

  const body = () => ({ events: [makeEvent(server.instanceId)] });

  it("accepts the seeded key", async () => {
    expect((await injectJson(server.app, url, server.apiKey, body())).status).toBe(200);
  });

  it.each([
    ["missing", null],
    ["not a bearer", "Basic abc"],
    ["malformed", "msk_short"],
    ["bad checksum", "msk_" + "a".repeat(43) + "_zzzzzz"],
  ])("answers 401 unauthorized for a %s key", async (_name, token) => {
    const headers: Record<string, string> = token?.startsWith("Basic") ? { authorization: token } : {};
    const answer = await injectJson(server.app, url, token?.startsWith("Basic") ? null : token, body(), headers);
    expect(answer.status).toBe(401);
    expect(answer.body.error.code).toBe("unauthorized");
    expect(answer.headers.get("www-authenticate")).toContain("Bearer");
  });

  it("answers 401 for a well-formed key that was never issued", async () => {
    const unknown = formatApiKey("b".repeat(43));
    const answer = await injectJson(server.app, url, unknown, body());
    expect(answer.status).toBe(401);
    expect(answer.body.error.code).toBe("unauthorized");
  });

  it("answers 401 for the admin token on a data route", async () => {
    const answer = await injectJson(server.app, url, ADMIN_TOKEN, body());
    expect(answer.status).toBe(401);
  });

  it("answers 401 for an expired key", async () => {
    const { key, record } = generateApiKey(server.instanceId, new Date(), { expiresAt: new Date(Date.now() - 1000) });
    await server.storage.insertApiKey(record);
    const answer = await injectJson(server.app, url, key, body());
    expect(answer.status).toBe(401);
  });

  it("answers 401 at once after the key is revoked through the admin API, though it was cached", async () => {
    const { key, record } = generateApiKey(server.instanceId, new Date());
    await server.storage.insertApiKey(record);
    expect((await injectJson(server.app, url, key, body())).status).toBe(200);
    const revoked = await injectRequest(server.app, "DELETE", `/v1/admin/keys/${record.id}`, ADMIN_TOKEN);
    expect(revoked.status).toBe(200);
    const answer = await injectJson(server.app, url, key, body());
    expect(answer.status).toBe(401);
    expect(answer.body.error.code).toBe("unauthorized");
  });

  it("protects the predictions route too", async () => {
    const answer = await injectJson(server.app, `/v1/predictions/batch`, null, { queries: [] });
    expect(answer.status).toBe(401);
  });

  it("never writes a key or the admin token to the log", async () => {
    await injectJson(server.app, url, server.apiKey, body());
    await injectJson(server.app, url, "msk_garbage", body());
    await injectRequest(server.app, "GET", `/v1/admin/instances`, ADMIN_TOKEN);
    const logs = server.logs.join("");
    expect(logs.length).toBeGreaterThan(0);
    expect(logs).not.toContain(server.apiKey);
    expect(logs).not.toContain(ADMIN_TOKEN);
    expect(logs).not.toContain("msk_garbage");
    expect(logs.toLowerCase()).not.toContain("bearer");
  });
});

describe("admin token auth on /v1/admin/", () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer({ inProcess: true });
  });
  afterAll(async () => server.close());

  it("accepts the admin token", async () => {
    expect((await injectRequest(server.app, "GET", `/v1/admin/instances`, ADMIN_TOKEN)).status).toBe(200);
  });

  it.each([
    ["no token", null],
    ["an API key", "API_KEY"],
    ["a wrong token", "wrong-admin-token-0123456789"],
    ["the token with a suffix", `${ADMIN_TOKEN}x`],
  ])("answers 401 for %s", async (_name, token) => {
    const answer = await injectRequest(server.app, "GET", `/v1/admin/instances`, token === "API_KEY" ? server.apiKey : token);
    expect(answer.status).toBe(401);
    expect(answer.body.error.code).toBe("unauthorized");
  });
});

describe("admin API turned off", () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer({ adminToken: null, inProcess: true });
  });
  afterAll(async () => server.close());

  it("answers 404 admin_disabled whatever the token", async () => {
    const answer = await injectRequest(server.app, "GET", `/v1/admin/instances`, ADMIN_TOKEN);
    expect(answer.status).toBe(404);
    expect(answer.body.error.code).toBe("admin_disabled");
  });
});
