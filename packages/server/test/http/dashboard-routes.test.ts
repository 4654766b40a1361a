import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gunzipSync, gzipSync } from "node:zlib";
import Fastify, { type FastifyInstance } from "fastify";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { installErrorHandling } from "../../src/http/error-handler.js";
import { urlMasker } from "../../src/http/safe-url.js";
import { DASHBOARD_CSP, dashboardRoutes } from "../../src/routes/dashboard-routes.js";

/** The dashboard's static routes on a built folder of our own (the real build is the browser tests'). */

const SCRIPT = "console.log('dashboard');\n".repeat(20);

async function appServing(root: string | null): Promise<FastifyInstance> {
  const app = Fastify({ logger: false });
  installErrorHandling(app, urlMasker([]));
  await app.register(dashboardRoutes, { root });
  await app.ready();
  return app;
}

describe("dashboard routes", () => {
  let dir: string;
  let app: FastifyInstance;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "mosaic-dashboard-routes-"));
    mkdirSync(join(dir, "assets"));
    writeFileSync(join(dir, "index.html"), '<!doctype html><script type="module" src="/assets/index-abc123.js"></script>');
    writeFileSync(join(dir, "assets", "index-abc123.js"), SCRIPT);
    writeFileSync(join(dir, "assets", "index-abc123.js.gz"), gzipSync(SCRIPT));
    app = await appServing(dir);
  });
  afterAll(async () => {
    await app?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("serves index.html at / with no-cache and a CSP without unsafe-inline", async () => {
    const answer = await app.inject({ url: "/" });
    expect(answer.statusCode).toBe(200);
    expect(answer.headers["content-type"]).toMatch(/^text\/html/);
    expect(answer.headers["cache-control"]).toBe("no-cache");
    expect(answer.headers["content-security-policy"]).toBe(DASHBOARD_CSP);
    expect(DASHBOARD_CSP).not.toContain("unsafe-inline");
    expect(DASHBOARD_CSP).toContain("script-src 'self'");
    expect(answer.headers["x-content-type-options"]).toBe("nosniff");
    expect(answer.body).toContain("/assets/index-abc123.js");
  });

  it("serves hashed assets immutable, precompressed when the browser accepts gzip", async () => {
    const plain = await app.inject({ url: "/assets/index-abc123.js" });
    expect(plain.statusCode).toBe(200);
    expect(plain.headers["cache-control"]).toBe("public, max-age=31536000, immutable");
    expect(plain.headers["content-type"]).toMatch(/javascript/);
    expect(plain.body).toBe(SCRIPT);
    const gzipped = await app.inject({ url: "/assets/index-abc123.js", headers: { "accept-encoding": "gzip" } });
    expect(gzipped.headers["content-encoding"]).toBe("gzip");
    expect(gzipped.headers["cache-control"]).toBe("public, max-age=31536000, immutable");
    expect(gunzipSync(gzipped.rawPayload).toString()).toBe(SCRIPT);
  });

  it("answers any other path with the API's JSON 404, never a file outside the folder", async () => {
    for (const url of ["/assets/missing.js", "/index.html", "/assets/../index.html", "/assets/%2e%2e/index.html", "/anything"]) {
      const answer = await app.inject({ url });
      expect(answer.statusCode, url).toBe(404);
      expect(answer.json().error.code, url).toBe("not_found");
    }
  });

  it("answers a Range or precondition it cannot meet 400: the client's mistake, never a 500", async () => {
    const cases: [string, Record<string, string>, number][] = [
      ["/", { range: "bytes=99999999-" }, 400],
      ["/assets/index-abc123.js", { "if-match": '"nope"' }, 400],
      ["/assets/index-abc123.js", { "if-unmodified-since": "Thu, 01 Jan 1970 00:00:00 GMT" }, 400],
    ];
    for (const [url, headers, status] of cases) {
      const answer = await app.inject({ url, headers });
      expect(answer.statusCode, `${url} ${JSON.stringify(headers)}`).toBe(status);
      expect(answer.json().error.code).toBe("invalid_request");
    }
  });

  it("says to build the dashboard when there is no build", async () => {
    const bare = await appServing(null);
    const answer = await bare.inject({ url: "/" });
    expect(answer.statusCode).toBe(404);
    expect(answer.json().error).toEqual({ code: "not_found", message: expect.stringContaining("npm run build") });
    await bare.close();
  });
});
