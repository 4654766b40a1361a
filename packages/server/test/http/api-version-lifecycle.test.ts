import { describe, expect, it } from "vitest";
import type { FastifyInstance } from "fastify";
import { loadConfig } from "../../src/config/config.js";
import { ConfigError } from "../../src/config/config-error.js";
import { applyApiVersionLifecycle } from "../../src/http/api-version-lifecycle.js";
import { installErrorHandling } from "../../src/http/error-handler.js";
import { urlMasker } from "../../src/http/safe-url.js";
import { ADMIN_TOKEN, makeEvent } from "./test-server.js";
import { startTestServer } from "./test-server.js";
import Fastify from "fastify";

const DEPRECATED = new Date("2027-01-01T00:00:00Z");
const SUNSET = new Date("2027-06-30T00:00:00Z");
const SUCCESSOR = "https://telemetry.example.com/v2";
const lifecycle = { deprecatedAt: DEPRECATED, sunsetAt: SUNSET, successorUrl: SUCCESSOR };

describe("API v1 lifecycle", () => {
  it("says nothing while v1 is current (no setting)", async () => {
    const subject = await startTestServer({ inProcess: true });
    try {
      const answer = await subject.app.inject({ method: "GET", url: "/v1/admin/instances", headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
      expect(answer.statusCode).toBe(200);
      expect(answer.headers["deprecation"]).toBeUndefined();
      expect(answer.headers["sunset"]).toBeUndefined();
      expect(answer.headers["link"]).toBeUndefined();
    } finally {
      await subject.close();
    }
  });

  it("before the sunset: serves, with Deprecation (RFC 9745), Sunset (RFC 8594) and the successor's Link", async () => {
    const subject = await startTestServer({ config: { apiV1: lifecycle }, now: () => new Date("2027-03-01T00:00:00Z"), inProcess: true });
    try {
      const answer = await subject.app.inject({
        method: "POST",
        url: "/v1/events/batch",
        headers: { authorization: `Bearer ${subject.apiKey}` },
        payload: { events: [makeEvent(subject.instanceId, { timestamp: "2027-02-28T12:00:00Z" })] },
      });
      expect(answer.statusCode).toBe(200);
      expect(answer.json().accepted).toBe(1);
      expect(answer.headers["deprecation"]).toBe(`@${DEPRECATED.getTime() / 1000}`);
      expect(answer.headers["sunset"]).toBe("Wed, 30 Jun 2027 00:00:00 GMT");
      expect(answer.headers["link"]).toBe(`<${SUCCESSOR}>; rel="successor-version"`);
      // Errors of v1 routes carry them too: a client that only ever sees 401s still learns.
      const refused = await subject.app.inject({ method: "GET", url: "/v1/admin/instances" });
      expect(refused.statusCode).toBe(401);
      expect(refused.headers["sunset"]).toBe("Wed, 30 Jun 2027 00:00:00 GMT");
      // Unversioned routes are not part of v1's lifecycle.
      const health = await subject.app.inject({ method: "GET", url: "/healthz" });
      expect(health.headers["deprecation"]).toBeUndefined();
    } finally {
      await subject.close();
    }
  });

  it("from the sunset on: 410 api_version_sunset naming the successor, on every v1 route, before authentication", async () => {
    const subject = await startTestServer({ config: { apiV1: lifecycle }, now: () => SUNSET, inProcess: true });
    try {
      for (const [method, url] of [
        ["POST", "/v1/events/batch"],
        ["POST", "/v1/predictions/batch"],
        ["GET", "/v1/admin/instances"],
      ] as const) {
        const answer = await subject.app.inject({ method, url, headers: { authorization: `Bearer ${subject.apiKey}` }, payload: method === "POST" ? {} : undefined });
        expect(answer.statusCode).toBe(410);
        expect(answer.json().error.code).toBe("api_version_sunset");
        expect(answer.json().error.message).toContain(SUCCESSOR);
        expect(answer.headers["link"]).toBe(`<${SUCCESSOR}>; rel="successor-version"`);
      }
      expect((await subject.app.inject({ method: "GET", url: "/readyz" })).statusCode).toBe(200);
    } finally {
      await subject.close();
    }
  });

  it("a sunset alone implies deprecation from now on", async () => {
    const subject = await startTestServer({ config: { apiV1: { deprecatedAt: null, sunsetAt: SUNSET, successorUrl: null } }, now: () => DEPRECATED, inProcess: true });
    try {
      const answer = await subject.app.inject({ method: "GET", url: "/v1/admin/instances", headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
      expect(answer.headers["deprecation"]).toBe(`@${SUNSET.getTime() / 1000}`);
      expect(answer.headers["link"]).toBeUndefined();
    } finally {
      await subject.close();
    }
  });

  it("is per version scope: a v2 mounted beside a retired v1 serves", async () => {
    const app: FastifyInstance = Fastify();
    installErrorHandling(app, urlMasker([]));
    await app.register(
      async (v1) => {
        applyApiVersionLifecycle(v1, "v1", lifecycle, () => SUNSET);
        v1.get("/things", async () => ({ version: 1 }));
      },
      { prefix: "/v1" },
    );
    await app.register(async (v2) => v2.get("/things", async () => ({ version: 2 })), { prefix: "/v2" });
    expect((await app.inject({ method: "GET", url: "/v1/things" })).statusCode).toBe(410);
    const v2 = await app.inject({ method: "GET", url: "/v2/things" });
    expect(v2.json()).toEqual({ version: 2 });
    expect(v2.headers["sunset"]).toBeUndefined();
    await app.close();
  });

  it("reads its settings from the environment and refuses wrong ones naming the variable", () => {
    const config = loadConfig({ API_V1_DEPRECATED_AT: "2027-01-01", API_V1_SUNSET_AT: "2027-06-30T00:00:00Z", API_V1_SUCCESSOR_URL: SUCCESSOR }, { cwd: "/tmp" });
    expect(config.apiV1).toEqual(lifecycle);
    expect(loadConfig({}, { cwd: "/tmp" }).apiV1).toEqual({ deprecatedAt: null, sunsetAt: null, successorUrl: null });
    expect(() => loadConfig({ API_V1_SUNSET_AT: "next june" })).toThrow(ConfigError);
    expect(() => loadConfig({ API_V1_SUNSET_AT: "2027-02-30" })).toThrow(/API_V1_SUNSET_AT/);
    expect(() => loadConfig({ API_V1_SUCCESSOR_URL: "ftp://x" })).toThrow(/API_V1_SUCCESSOR_URL/);
    expect(() => loadConfig({ METRICS_TOKEN: "short" })).toThrow(/METRICS_TOKEN/);
  });
});
