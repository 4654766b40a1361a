import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createPredictor } from "../../src/predictions/predictor.js";
import { openStorage } from "../../src/storage/open-storage.js";
import { request, makeEvent, postJson, seedInstance, startTestServer, type Json, type TestServer } from "../http/test-server.js";
import { OpenApiValidator } from "./openapi-validator.js";
import { startRecordingProxy, type RecordingProxy } from "./recording-proxy.js";
import { seededSnapshotNoise } from "../helpers/seeded-noise.js";

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), "../../../..");
const contractPath = resolve(repoRoot, "../shared/contract/api-v1.md");
const clientDist = resolve(repoRoot, "packages/client/dist/index.js");
const hasContract = existsSync(contractPath);
const hasClient = existsSync(clientDist);
if (!hasContract) console.warn(`wire-contract.test.ts: ${contractPath} is absent, the api-v1.md route check is skipped`);
if (!hasClient) console.warn("wire-contract.test.ts: packages/client/dist is not built (npm run build), the SDK-side checks are skipped");

const QUERY = { task_type: "implementation", model: "claude-sonnet-4-5", provider: "anthropic", complexity: "medium" } as const;

let server: TestServer;
let validator: OpenApiValidator;
let dir: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "mosaic-contract-"));
  const storage = await openStorage({ engine: "sqlite", path: join(dir, "telemetry.db") });
  // The real predictor at low thresholds, so that the predictions answer carries numbers.
  server = await startTestServer({
    storage,
    predictor: createPredictor(storage, { minEvents: 4, minContributors: 2 }, { noise: seededSnapshotNoise("wire"), now: () => new Date("2026-12-01T10:00:00.000Z") }),
  });
  validator = new OpenApiValidator((await request("GET", `${server.url}/openapi.json`, null)).body);
});
afterAll(async () => {
  await server.close();
  rmSync(dir, { recursive: true, force: true });
});

describe.skipIf(!hasContract)(`api-v1.md and the served OpenAPI document${hasContract ? "" : " (skipped: ../shared/contract is absent)"}`, () => {
  it("documents every route the contract names", () => {
    const contract = readFileSync(contractPath, "utf8");
    const named = [...contract.matchAll(/\b(GET|POST|PUT|PATCH|DELETE) (\/[\w/{}.-]+)/g)].map(([, method, path]) => ({ method: method!, path: path! }));
    expect(named.length).toBeGreaterThanOrEqual(8);
    for (const { method, path } of named) {
      expect(validator.templateOf(method, path.replace(/\{[^}]+\}/g, "x")), `${method} ${path}`).toBeDefined();
    }
  });
});

describe("the server's answers match the OpenAPI document", () => {
  it("(the check itself fails on a body that breaks the document)", () => {
    expect(validator.responseErrors("POST", "/v1/events/batch", 200, { accepted: "3", results: [] })).not.toEqual([]);
    const { timestamp: _dropped, ...incomplete } = makeEvent(server.instanceId);
    expect(validator.componentErrors("Event", incomplete)).not.toEqual([]);
    expect(() => validator.requestErrors("POST", "/v1/nowhere", {})).toThrow(/not in the OpenAPI document/);
  });


  it("for ingest with accepted, duplicate and rejected events", async () => {
    const event = makeEvent(server.instanceId);
    const body = { events: [event, event, makeEvent(server.instanceId, { task_type: "not-a-type" })] };
    expect(validator.requestErrors("POST", "/v1/events/batch", body)).toEqual([]);
    const answer = await postJson(`${server.url}/v1/events/batch`, server.apiKey, body);
    expect(answer.status).toBe(200);
    expect(answer.body.rejected).toBe(1);
    expect(validator.responseErrors("POST", "/v1/events/batch", 200, answer.body)).toEqual([]);
  });

  it("for every error status a client can cause", async () => {
    const other = await seedInstance(server.storage, "other");
    const cases: Array<{ status: number; answer: { status: number; body: Json } }> = [
      { status: 400, answer: await postJson(`${server.url}/v1/events/batch`, server.apiKey, { events: [] }) },
      { status: 401, answer: await postJson(`${server.url}/v1/events/batch`, null, { events: [makeEvent(server.instanceId)] }) },
      { status: 403, answer: await postJson(`${server.url}/v1/events/batch`, other.apiKey, { events: [makeEvent(server.instanceId)] }) },
      { status: 415, answer: await postJson(`${server.url}/v1/events/batch`, server.apiKey, "x", { "content-type": "text/plain" }) },
    ];
    for (const { status, answer } of cases) {
      expect(answer.status).toBe(status);
      expect(validator.responseErrors("POST", "/v1/events/batch", status, answer.body), `status ${status}`).toEqual([]);
      expect(validator.componentErrors("ErrorBody", answer.body)).toEqual([]);
    }
  });

  it("for the admin API", async () => {
    const admin = "test-admin-token-0123456789abcdef";
    const created = await fetch(`${server.url}/v1/admin/instances`, {
      method: "POST",
      headers: { authorization: `Bearer ${admin}`, "content-type": "application/json" },
      body: JSON.stringify({ name: "contract" }),
    });
    const createdBody = (await created.json()) as Json;
    expect(validator.responseErrors("POST", "/v1/admin/instances", created.status, createdBody)).toEqual([]);
    const list = await request("GET", `${server.url}/v1/admin/instances`, admin);
    expect(validator.responseErrors("GET", "/v1/admin/instances", list.status, list.body)).toEqual([]);
    const usage = await request("GET", `${server.url}/v1/admin/instances/${createdBody.instance.id}/usage`, admin);
    expect(validator.responseErrors("GET", "/v1/admin/instances/{id}/usage", usage.status, usage.body)).toEqual([]);
  });
});

describe.skipIf(!hasClient)(`the built SDK and the server, through a recording proxy${hasClient ? "" : " (skipped: run npm run build)"}`, () => {
  let proxy: RecordingProxy;
  afterAll(async () => {
    await proxy?.close();
  });

  it("every request the SDK sends and every answer it reads is as documented", async () => {
    const seeded = await seedInstance(server.storage, "predictions-peer");
    for (const instance of [server, seeded]) {
      const key = instance === server ? server.apiKey : seeded.apiKey;
      const events = Array.from({ length: 12 }, () => makeEvent(instance.instanceId, { model: QUERY.model }));
      expect((await postJson(`${server.url}/v1/events/batch`, key, { events })).status).toBe(200);
    }
    proxy = await startRecordingProxy(server.url);
    const { TelemetryClient } = (await import(pathToFileURL(clientDist).href)) as typeof import("@mosaicstack/telemetry-client");
    const errors: Error[] = [];
    const client = new TelemetryClient({
      serverUrl: proxy.url,
      apiKey: server.apiKey,
      instanceId: server.instanceId,
      onError: (error) => errors.push(error),
    });
    const fields = makeEvent(server.instanceId);
    for (const key of ["event_id", "instance_id", "schema_version", "timestamp"]) delete fields[key];
    for (let i = 0; i < 3; i++) client.track(client.eventBuilder.build(fields as never));
    await client.refreshPredictions([QUERY, { ...QUERY, complexity: "critical" }]);
    expect(client.getPrediction(QUERY)?.metadata.fallback_level).toBe(0);
    expect(client.getPrediction(QUERY)?.prediction?.input_tokens.median).toBeGreaterThan(0);
    const result = await client.stop();
    expect(result.sent).toBe(3);
    expect(errors).toEqual([]);

    const paths = proxy.exchanges.map((exchange) => `${exchange.method} ${exchange.path}`).sort();
    expect(paths).toEqual(["POST /v1/events/batch", "POST /v1/predictions/batch"]);
    // A batch of events is over 1 KiB and goes gzip-compressed, as api-v1 allows.
    expect(proxy.exchanges.find((exchange) => exchange.path === "/v1/events/batch")?.requestEncoding).toBe("gzip");
    for (const exchange of proxy.exchanges) {
      const sent = JSON.parse(exchange.requestBody) as Json;
      const answered = JSON.parse(exchange.responseBody) as Json;
      expect(exchange.status).toBe(200);
      expect(validator.requestErrors(exchange.method, exchange.path, sent), `${exchange.path} request`).toEqual([]);
      expect(validator.responseErrors(exchange.method, exchange.path, exchange.status, answered), `${exchange.path} answer`).toEqual([]);
      if (exchange.path === "/v1/events/batch") {
        for (const event of sent.events) expect(validator.componentErrors("Event", event)).toEqual([]);
      }
    }
  });
});
