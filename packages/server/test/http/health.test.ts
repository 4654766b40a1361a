import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { injectRequest, startTestServer, type TestServer } from "./test-server.js";

describe("health", () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer({ inProcess: true });
  });
  afterAll(async () => server.close());

  it("GET /healthz answers 200 without auth", async () => {
    const answer = await injectRequest(server.app, "GET", `/healthz`, null);
    expect(answer.status).toBe(200);
    expect(answer.body).toEqual({ status: "ok" });
    expect(answer.headers.get("api-version")).toBe("1");
  });

  it("GET /readyz answers 200 while storage answers", async () => {
    const answer = await injectRequest(server.app, "GET", `/readyz`, null);
    expect(answer.status).toBe(200);
    expect(answer.body).toEqual({ status: "ready", storage: "up", redis: "off" });
  });

  it("GET /readyz answers 503 storage_unavailable with Retry-After once storage is gone, and healthz stays 200", async () => {
    await server.storage.close();
    const answer = await injectRequest(server.app, "GET", `/readyz`, null);
    expect(answer.status).toBe(503);
    expect(answer.body.error.code).toBe("storage_unavailable");
    expect(Number(answer.headers.get("retry-after"))).toBeGreaterThan(0);
    expect((await injectRequest(server.app, "GET", `/healthz`, null)).status).toBe(200);
  });
});
