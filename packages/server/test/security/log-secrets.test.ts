// On a socket: the session includes the client SDK, which talks HTTP to a server URL, and gzip bodies over the wire.
import { createHash } from "node:crypto";
import { gzipSync } from "node:zlib";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { TelemetryClient } from "../../../client/dist/index.js";
import { validEvent } from "../fuzz/bad-bodies.js";
import { LIVE_ADMIN_TOKEN, createInstance, startLiveServer, type LiveServer } from "../e2e/live-server.js";

/**
 * A whole operator-and-client session against one server logging at trace (more than production's
 * info), then one search of everything it logged for every secret that crossed the wire.
 */
describe("no secret in the logs of a full session", () => {
  let server: LiveServer;
  const secrets = new Map<string, string>();
  const answers: string[] = [];

  const call = async (path: string, init: { method?: string; token?: string | null; headers?: Record<string, string>; body?: unknown } = {}) => {
    const headers: Record<string, string> = { ...(init.headers ?? {}) };
    if (init.token) headers["authorization"] = `Bearer ${init.token}`;
    let body: string | Uint8Array | undefined;
    if (init.body !== undefined) {
      headers["content-type"] ??= "application/json";
      body = typeof init.body === "string" || init.body instanceof Uint8Array ? init.body : JSON.stringify(init.body);
    }
    const response = await fetch(`${server.url}${path}`, { method: init.method ?? (body === undefined ? "GET" : "POST"), headers, ...(body ? { body } : {}) });
    const text = await response.text();
    answers.push(text);
    return { status: response.status, text };
  };

  const remember = (name: string, key: string) => {
    secrets.set(name, key);
    // The random part alone (msk_<random>_<checksum>) and the stored hash must not leak either.
    secrets.set(`${name} random part`, key.split("_")[1] as string);
    secrets.set(`${name} SHA-256`, createHash("sha256").update(key).digest("hex"));
  };

  beforeAll(async () => {
    server = await startLiveServer({ logLevel: "trace", bodyLimitBytes: 64 * 1024 });
    secrets.set("admin token", LIVE_ADMIN_TOKEN);

    const alpha = await createInstance(server.url, "alpha");
    const beta = await createInstance(server.url, "beta");
    remember("alpha key", alpha.apiKey);
    remember("beta key", beta.apiKey);
    const rotated = JSON.parse((await call(`/v1/admin/instances/${alpha.instanceId}/keys`, { token: LIVE_ADMIN_TOKEN, body: {} })).text);
    remember("alpha second key", rotated.api_key.key);
    await call("/v1/admin/instances", { token: LIVE_ADMIN_TOKEN });
    await call(`/v1/admin/instances/${alpha.instanceId}/usage`, { token: LIVE_ADMIN_TOKEN });

    // Ingest: plain, gzip, through the SDK, a duplicate, a rejected event, another instance's events.
    const events = [validEvent(alpha.instanceId), validEvent(alpha.instanceId, { model: "" })];
    await call("/v1/events/batch", { token: alpha.apiKey, body: { events } });
    await call("/v1/events/batch", { token: alpha.apiKey, body: { events } });
    await call("/v1/events/batch", {
      token: rotated.api_key.key,
      headers: { "content-encoding": "gzip" },
      body: gzipSync(JSON.stringify({ events: [validEvent(alpha.instanceId)] })),
    });
    const client = new TelemetryClient({ serverUrl: server.url, apiKey: alpha.apiKey, instanceId: alpha.instanceId });
    client.track(client.eventBuilder.build(validEvent(alpha.instanceId) as never));
    await client.refreshPredictions([{ task_type: "implementation", model: "m", provider: "anthropic", complexity: "low" }]);
    await client.stop();
    await call("/v1/events/batch", { token: beta.apiKey, body: { events: [validEvent(alpha.instanceId)] } });
    await call("/v1/predictions/batch", { token: rotated.api_key.key, body: { queries: [{ task_type: "testing", model: "x", provider: "openai", complexity: "high" }] } });

    // Errors: bad JSON, too large, wrong media type, unknown route, bad gzip.
    await call("/v1/events/batch", { token: alpha.apiKey, body: "{not json" });
    await call("/v1/events/batch", { token: alpha.apiKey, body: { events: [validEvent(alpha.instanceId, { note: "x".repeat(70_000) })] } });
    await call("/v1/events/batch", { token: alpha.apiKey, headers: { "content-type": "text/plain" }, body: "hello" });
    await call("/v1/nowhere", { token: alpha.apiKey });
    await call("/v1/events/batch", { token: alpha.apiKey, headers: { "content-encoding": "gzip" }, body: "not gzip" });

    // Revoke, then the revoked key and every other wrong way to present a credential.
    await call(`/v1/admin/keys/${alpha.apiKeyId}`, { method: "DELETE", token: LIVE_ADMIN_TOKEN });
    await call("/v1/events/batch", { token: alpha.apiKey, body: { events } });
    const mangled = alpha.apiKey.slice(0, -1) + (alpha.apiKey.endsWith("a") ? "b" : "a");
    await call("/v1/events/batch", { token: mangled, body: { events } });
    await call("/v1/events/batch", { headers: { authorization: `Basic ${Buffer.from(`x:${beta.apiKey}`).toString("base64")}` }, body: { events } });
    await call("/v1/events/batch", { headers: { "x-api-key": beta.apiKey }, body: { events } });
    await call("/v1/events/batch", { headers: { authorization: `bearer   ${beta.apiKey}  ` }, body: { events } });
    await call("/v1/events/batch", { token: LIVE_ADMIN_TOKEN, body: { events } });
    await call("/v1/admin/instances", { token: beta.apiKey });
    await call("/v1/admin/instances", { token: `${LIVE_ADMIN_TOKEN}x` });
    await call("/v1/admin/instances", { headers: { cookie: `token=${LIVE_ADMIN_TOKEN}` } });
    // A client that puts the credential in the URL: the server must not copy it into its log.
    await call(`/v1/events/batch?api_key=${beta.apiKey}`, { body: { events } });
    await call(`/v1/admin/instances?token=${LIVE_ADMIN_TOKEN}`);
    await call(`/v1/keys/${beta.apiKey}`, { token: beta.apiKey });
    await call(`/v1/admin/${LIVE_ADMIN_TOKEN}`, { token: LIVE_ADMIN_TOKEN });
    await call(`/v1/admin/instances/${encodeURIComponent(LIVE_ADMIN_TOKEN)}/usage`, { token: LIVE_ADMIN_TOKEN });
  });
  afterAll(async () => server?.close());

  it("the session logged every request (so the search below searched something)", () => {
    const logs = server.logs.join("");
    expect(server.requests.length).toBeGreaterThan(25);
    expect(logs).toContain('"statusCode":401');
    expect(logs).toContain('"statusCode":403');
    expect(logs).toContain('"statusCode":413');
  });

  it("no API key, key random part, key hash or admin token appears anywhere in the log", () => {
    const logs = server.logs.join("");
    for (const [name, secret] of secrets) expect(logs.includes(secret), `${name} found in the log`).toBe(false);
    expect(logs.toLowerCase()).not.toContain("bearer");
  });

  it("no error answer echoes a credential either", () => {
    const bodies = answers.join("\n");
    for (const [name, secret] of secrets) {
      // The answers that create keys show them once, by design: only error bodies are searched.
      const inErrors = answers.filter((text) => text.includes('"error"')).some((text) => text.includes(secret));
      expect(inErrors, `${name} found in an error answer`).toBe(false);
    }
    expect(bodies.length).toBeGreaterThan(0);
  });
});
