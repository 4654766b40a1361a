import type { RouteOptions } from "fastify";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildApp } from "../../src/app.js";
import { openStorage } from "../../src/storage/open-storage.js";
import type { Storage } from "../../src/storage/storage.js";
import { ADMIN_TOKEN, inject, injectJson, injectRequest, noDataPredictor, type Json, startTestServer, type TestServer } from "./test-server.js";

/** Routes of the documentation page itself (HTML, scripts, its own copy of the spec). */
const DOCS_ASSET_PREFIX = "/docs";

describe("OpenAPI document", () => {
  let served: Set<string>;
  let documented: Set<string>;
  let document: Json;
  let storage: Storage;

  beforeAll(async () => {
    storage = await openStorage({ engine: "sqlite", path: ":memory:" });
    const routes: RouteOptions[] = [];
    // buildApp registers its routes before it returns, so an onRoute hook added afterwards would
    // miss them: the listener goes in through AppDeps and is installed before the first route.
    const app = await buildApp({
      config: { bodyLimitBytes: 1024 * 1024, rateLimits: { eventsPerMinute: 10, predictionsPerMinute: 10 }, logLevel: "silent" },
      storage,
      predictor: noDataPredictor,
      adminToken: ADMIN_TOKEN,
      logger: false,
      onRoute: (route) => routes.push(route),
    });
    await app.ready();
    document = app.swagger();
    served = new Set(
      routes
        .filter((route) => !route.url.startsWith(DOCS_ASSET_PREFIX))
        // The dashboard's page and files (dashboard-routes.ts): not API, hidden from the document.
        .filter((route) => !(route.schema as { hide?: boolean } | undefined)?.hide)
        .flatMap((route) => [route.method].flat().map((method) => `${method} ${route.url.replace(/:([a-z_]+)/g, "{$1}")}`)),
    );
    documented = new Set(
      Object.entries(document.paths as Record<string, Record<string, unknown>>).flatMap(([path, methods]) =>
        Object.keys(methods).map((method) => `${method.toUpperCase()} ${path}`),
      ),
    );
    await app.close();
    await storage.close();
  });

  it("is OpenAPI 3 with both security schemes and the error body", () => {
    expect(document.openapi).toMatch(/^3\./);
    expect(Object.keys(document.components.securitySchemes).sort()).toEqual(["adminToken", "apiKey"]);
    expect(document.components.schemas.ErrorBody).toBeDefined();
  });

  it("documents exactly the routes served", () => {
    expect(served).toEqual(
      new Set([
        "GET /openapi.json",
        "GET /healthz",
        "GET /readyz",
        "POST /v1/events/batch",
        "POST /v1/predictions/batch",
        "POST /v1/admin/instances",
        "GET /v1/admin/instances",
        "POST /v1/admin/instances/{id}/keys",
        "DELETE /v1/admin/keys/{key_id}",
        "GET /v1/admin/instances/{id}/usage",
        "GET /v1/usage/timeseries",
        "GET /v1/usage/top",
        "GET /v1/admin/usage/timeseries",
        "GET /v1/admin/usage/top",
      ]),
    );
    expect([...documented].sort()).toEqual([...served].sort());
  });

  it("documents API-Version on every response and the RateLimit headers on the limited routes", () => {
    for (const [path, methods] of Object.entries(document.paths as Record<string, Record<string, Json>>)) {
      for (const [method, operation] of Object.entries(methods)) {
        for (const [status, answer] of Object.entries(operation.responses as Record<string, Json>)) {
          expect(answer.headers?.["API-Version"], `${method} ${path} ${status}`).toBeDefined();
        }
      }
    }
    const events = document.paths["/v1/events/batch"].post;
    expect(events.responses["429"].headers["Retry-After"]).toBeDefined();
    expect(events.responses["200"].headers["RateLimit-Remaining"]).toBeDefined();
    expect(events.security).toEqual([{ apiKey: [] }]);
    expect(document.paths["/v1/admin/instances"].get.security).toEqual([{ adminToken: [] }]);
  });
});

describe("served documents and headers", () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer({ inProcess: true });
  });
  afterAll(async () => server.close());

  it("serves /openapi.json and the /docs page", async () => {
    const spec = await injectRequest(server.app, "GET", "/openapi.json", null);
    expect(spec.status).toBe(200);
    expect(spec.body.paths["/v1/events/batch"].post).toBeDefined();
    const docs = await inject(server.app, "/docs/");
    expect(docs.status).toBe(200);
    expect(docs.headers.get("content-type")).toContain("text/html");
  });

  it("answers a path out of the /docs files 404, not 500, and reads no file", async () => {
    for (const url of ["/docs/static/%2e%2e/%2e%2e/package.json", "/docs/static/..%2f..%2fpackage.json"]) {
      const answer = await injectRequest(server.app, "GET", url, null);
      expect(answer.status, url).toBe(404);
      expect(answer.body.error.code, url).toBe("not_found");
    }
  });

  it("answers unknown routes 404 with the error body", async () => {
    const answer = await injectRequest(server.app, "GET", "/v1/nothing-here", server.apiKey);
    expect(answer.status).toBe(404);
    expect(answer.body).toEqual({ error: { code: "not_found", message: "no route GET /v1/nothing-here" } });
  });

  it("puts API-Version: 1 on successes, errors and 404s alike", async () => {
    const answers = [
      await injectRequest(server.app, "GET", "/healthz", null),
      await injectRequest(server.app, "GET", "/openapi.json", null),
      await injectRequest(server.app, "GET", "/nowhere", null),
      await injectRequest(server.app, "GET", "/v1/admin/instances", ADMIN_TOKEN),
      await injectRequest(server.app, "GET", "/v1/admin/instances", null),
      await injectJson(server.app, "/v1/events/batch", server.apiKey, "{bad"),
      await injectJson(server.app, "/v1/events/batch", server.apiKey, { events: [] }),
      await injectJson(server.app, "/v1/predictions/batch", null, { queries: [] }),
    ];
    for (const answer of answers) expect(answer.headers.get("api-version")).toBe("1");
  });
});
