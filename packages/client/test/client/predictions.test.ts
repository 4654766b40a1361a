import { describe, expect, it } from "vitest";
import type { PredictionQuery, TelemetryClientOptions } from "../../src/index.js";
import { API_KEY, failOnUnhandledRejection } from "../helpers/fixtures.js";
import { loopbackClients } from "../helpers/client-setup.js";
import type { LoopbackServer } from "../helpers/loopback-server.js";

failOnUnhandledRejection();

const setupClient = loopbackClients();
let server: LoopbackServer;

async function setup(options: Partial<TelemetryClientOptions> = {}) {
  const made = await setupClient(options);
  server = made.server;
  return made;
}

const query = (i: number): PredictionQuery => ({
  task_type: "implementation",
  model: `model-${i}`,
  provider: "anthropic",
  complexity: "medium",
});

describe("predictions", () => {
  it("refreshPredictions sends chunks of <= 50 and caches each answer under its query", async () => {
    const { client, sink } = await setup();
    const queries = Array.from({ length: 120 }, (_, i) => query(i));
    await client.refreshPredictions(queries);
    const sizes = server.requests.map((r) => (r.body as { queries: unknown[] }).queries.length);
    expect(sizes).toEqual([50, 50, 20]);
    expect(server.requests[0]!.path).toBe("/v1/predictions/batch");
    expect(server.requests[0]!.headers["authorization"]).toBe(`Bearer ${API_KEY}`);
    // The made-up server encodes the index within the chunk in the median: 1000 + i, times 3.
    expect(client.getPrediction(query(0))?.prediction?.input_tokens.median).toBe(3 * 1000);
    expect(client.getPrediction(query(57))?.prediction?.input_tokens.median).toBe(3 * 1007);
    expect(client.getPrediction(query(119))?.metadata.confidence).toBe("high");
    // Same four values in a fresh object: same entry.
    expect(client.getPrediction({ ...query(3) })).not.toBeNull();
    expect(client.getPrediction(query(500))).toBeNull();
    expect(sink.errors).toEqual([]);
  });

  it("an expired entry counts as absent", async () => {
    const { client, time } = await setup({ predictionCacheTtlMs: 60_000 });
    await client.refreshPredictions([query(1)]);
    time.advance(59_999);
    expect(client.getPrediction(query(1))).not.toBeNull();
    time.advance(1);
    expect(client.getPrediction(query(1))).toBeNull();
  });

  it("a failed refresh is reported, resolves, and keeps the previous entries", async () => {
    const { client, sink } = await setup({ maxRetries: 0 });
    await client.refreshPredictions([query(1)]);
    const before = client.getPrediction(query(1));
    expect(before).not.toBeNull();
    server.script.push({ kind: "status", status: 503, body: { error: { code: "storage_unavailable", message: "down" } } });
    await expect(client.refreshPredictions([query(1), query(2)])).resolves.toBeUndefined();
    expect(sink.messages()).toEqual(["HTTP 503: storage_unavailable down"]);
    expect(client.getPrediction(query(1))).toBe(before);
    expect(client.getPrediction(query(2))).toBeNull();
  });

  it("a malformed answer keeps the cache and is reported", async () => {
    const { client, sink } = await setup();
    server.script.push({ kind: "status", status: 200, body: { results: "nope" } });
    await client.refreshPredictions([query(1)]);
    expect(client.getPrediction(query(1))).toBeNull();
    expect(sink.errors.map((e) => e.code)).toEqual(["invalid_response"]);
  });

  it("getPrediction never throws and refreshPredictions survives bad input", async () => {
    const { client, sink } = await setup();
    expect(client.getPrediction(undefined as never)).toBeNull();
    expect(client.getPrediction({} as never)).toBeNull();
    await expect(client.refreshPredictions("x" as never)).resolves.toBeUndefined();
    await expect(client.refreshPredictions([null, query(1)] as never)).resolves.toBeUndefined();
    expect(sink.errors.map((e) => e.code)).toEqual(["invalid_config", "invalid_config"]);
    expect(client.getPrediction(query(1))).not.toBeNull();
  });
});
