import { describe, expect, it } from "vitest";
import { OpenApiValidator } from "../contract/openapi-validator.js";
import { startTestServer } from "./test-server.js";
import { ADMIN_TOKEN, type Json } from "./test-server.js";

const SUNSET = new Date("2027-06-30T00:00:00Z");
const SUCCESSOR = "https://telemetry.example.com/v2";
const RETIRED = { deprecatedAt: null, sunsetAt: SUNSET, successorUrl: SUCCESSOR };

/** Every documented operation under /v1, as [METHOD, path template]. */
function v1Operations(document: Json): [string, string][] {
  return Object.entries(document.paths as Record<string, Record<string, unknown>>)
    .filter(([path]) => path.startsWith("/v1/"))
    .flatMap(([path, methods]) => Object.keys(methods).map((method): [string, string] => [method.toUpperCase(), path]));
}

describe("API v1 lifecycle in the OpenAPI document", () => {
  it("documents 410 api_version_sunset, with the error body and the lifecycle headers, on every v1 operation, sunset set or not", async () => {
    for (const config of [{}, { apiV1: RETIRED }]) {
      const subject = await startTestServer({ config, inProcess: true });
      try {
        const document = (await subject.app.inject({ method: "GET", url: "/openapi.json" })).json();
        const operations = v1Operations(document);
        // Guards the loop below against an empty document passing it.
        expect(operations.length).toBeGreaterThanOrEqual(10);
        for (const [method, path] of operations) {
          const gone = document.paths[path][method.toLowerCase()].responses["410"];
          expect(gone, `${method} ${path}`).toBeDefined();
          expect(gone.description, `${method} ${path}`).toContain("api_version_sunset");
          expect(gone.content["application/json"].schema.properties.error, `${method} ${path}`).toBeDefined();
          expect(Object.keys(gone.headers).sort(), `${method} ${path}`).toEqual(["API-Version", "Deprecation", "Link", "Sunset"]);
        }
        // Unversioned routes have no version to retire.
        expect(document.paths["/healthz"].get.responses["410"]).toBeUndefined();
        // A route's own documented statuses stay as they were.
        expect(document.paths["/v1/events/batch"].post.responses["200"]).toBeDefined();
        expect(document.paths["/v1/events/batch"].post.responses["401"]).toBeDefined();
      } finally {
        await subject.close();
      }
    }
  });

  it("after the sunset every v1 operation answers 410, and each answer validates against the served document", async () => {
    const subject = await startTestServer({ config: { apiV1: RETIRED }, now: () => SUNSET, inProcess: true });
    try {
      const document = (await subject.app.inject({ method: "GET", url: "/openapi.json" })).json();
      const validator = new OpenApiValidator(document);
      for (const [method, template] of v1Operations(document)) {
        const url = template.replace(/\{[^}]+\}/g, "0190f1c2-0000-7000-8000-000000000000");
        const token = template.startsWith("/v1/admin/") ? ADMIN_TOKEN : subject.apiKey;
        const answer = await subject.app.inject({
          method: method as "GET" | "POST" | "DELETE",
          url,
          headers: { authorization: `Bearer ${token}` },
          ...(method === "POST" ? { payload: {} } : {}),
        });
        expect(answer.statusCode, `${method} ${url}`).toBe(410);
        const body: unknown = answer.json();
        expect(validator.responseErrors(method, url, 410, body), `${method} ${url}`).toEqual([]);
        expect(validator.componentErrors("ErrorBody", body), `${method} ${url}`).toEqual([]);
        expect(answer.json().error.code).toBe("api_version_sunset");
        expect(answer.headers["sunset"]).toBe(SUNSET.toUTCString());
        expect(answer.headers["link"]).toBe(`<${SUCCESSOR}>; rel="successor-version"`);
      }
    } finally {
      await subject.close();
    }
  });
});
