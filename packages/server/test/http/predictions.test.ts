import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { PredictionQuery } from "@mosaicstack/telemetry-protocol";
import { injectJson, startTestServer, type TestServer } from "./test-server.js";

const QUERY = { task_type: "implementation", model: "claude-sonnet-4-5", provider: "anthropic", complexity: "medium" };

describe("POST /v1/predictions/batch", () => {
  let server: TestServer;
  let asked: PredictionQuery[][] = [];
  beforeAll(async () => {
    server = await startTestServer({
      inProcess: true,
      predictor: {
        async predict(queries) {
          asked.push(queries);
          return queries.map((query, i) => ({
            query,
            prediction:
              i === 0
                ? {
                    input_tokens: { p10: 1, p25: 2, median: 3, p75: 4, p90: 5 },
                    output_tokens: { p10: 1, p25: 2, median: 3, p75: 4, p90: 5 },
                    cost_usd_micros: { p10: 10, p25: 20, median: 30, p75: 40, p90: 50 },
                    duration_ms: { p10: 100, p25: 200, median: 300, p75: 400, p90: 500 },
                    correction_factors: { input: 1.07, output: 0.9 },
                    quality: { gate_pass_rate: 0.82, success_rate: 0.91 },
                  }
                : null,
            metadata:
              i === 0
                ? { sample_size: 40, contributors: 6, fallback_level: 1, dimensions: ["provider", "model", "task_type"], confidence: "medium", last_updated: "2026-11-28T12:00:00.000Z" }
                : { sample_size: 0, contributors: 0, fallback_level: -1, dimensions: [], confidence: "none", last_updated: null },
          }));
        },
      },
    });
  });
  afterAll(async () => server.close());

  it("answers every query in order with prediction and metadata, unknown fields dropped before the engine", async () => {
    asked = [];
    const second = { ...QUERY, model: "gpt-5" };
    const answer = await injectJson(server.app, "/v1/predictions/batch", server.apiKey, {
      queries: [{ ...QUERY, colour: "blue" }, second],
    });
    expect(answer.status).toBe(200);
    expect(asked).toEqual([[QUERY, second]]);
    expect(answer.body.results).toHaveLength(2);
    expect(answer.body.results[0]).toEqual({
      query: QUERY,
      prediction: {
        input_tokens: { p10: 1, p25: 2, median: 3, p75: 4, p90: 5 },
        output_tokens: { p10: 1, p25: 2, median: 3, p75: 4, p90: 5 },
        cost_usd_micros: { p10: 10, p25: 20, median: 30, p75: 40, p90: 50 },
        duration_ms: { p10: 100, p25: 200, median: 300, p75: 400, p90: 500 },
        correction_factors: { input: 1.07, output: 0.9 },
        quality: { gate_pass_rate: 0.82, success_rate: 0.91 },
      },
      metadata: { sample_size: 40, contributors: 6, fallback_level: 1, dimensions: ["provider", "model", "task_type"], confidence: "medium", last_updated: "2026-11-28T12:00:00.000Z" },
    });
    expect(answer.body.results[1]).toEqual({
      query: second,
      prediction: null,
      metadata: { sample_size: 0, contributors: 0, fallback_level: -1, dimensions: [], confidence: "none", last_updated: null },
    });
  });

  it("answers 400 for 0 and for 51 queries", async () => {
    const none = await injectJson(server.app, "/v1/predictions/batch", server.apiKey, { queries: [] });
    expect(none.status).toBe(400);
    expect(none.body.error.code).toBe("empty_batch");
    const many = await injectJson(server.app, "/v1/predictions/batch", server.apiKey, { queries: Array(51).fill(QUERY) });
    expect(many.status).toBe(400);
    expect(many.body.error.code).toBe("batch_too_large");
  });

  it.each([
    ["an unknown task_type", { ...QUERY, task_type: "dreaming" }],
    ["a missing model", { task_type: "testing", provider: "openai", complexity: "low" }],
    ["a model that is a number", { ...QUERY, model: 12 }],
  ])("answers 400 invalid_request for %s", async (_name, query) => {
    const answer = await injectJson(server.app, "/v1/predictions/batch", server.apiKey, { queries: [query] });
    expect(answer.status).toBe(400);
    expect(answer.body.error.code).toBe("invalid_request");
    expect(answer.body.error.message).toContain("queries");
  });
});

describe("an unexpected failure", () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer({
      inProcess: true,
      predictor: {
        async predict() {
          throw new Error("secret internal detail /var/lib/x");
        },
      },
    });
  });
  afterAll(async () => server.close());

  it("answers a plain 500 internal_error that reveals nothing, and logs the cause", async () => {
    const answer = await injectJson(server.app, "/v1/predictions/batch", server.apiKey, { queries: [QUERY] });
    expect(answer.status).toBe(500);
    expect(answer.body).toEqual({ error: { code: "internal_error", message: "internal server error" } });
    expect(server.logs.join("")).toContain("secret internal detail");
  });
});
