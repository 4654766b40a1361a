import type { FastifyInstance } from "fastify";
import {
  PREDICTION_BATCH_REQUEST_SCHEMA,
  PREDICTION_DIMENSIONS,
  PREDICTION_QUERY_SCHEMA,
  PREDICTION_SOURCES,
  type PredictionBatchResponse,
  type PredictionQuery,
  type PredictionResponse,
} from "@mosaicstack/telemetry-protocol";
import { API_KEY_SECURITY, RATE_LIMIT_HEADERS, errorResponses, response } from "../http/openapi-schemas.js";

/** What the routes need of the predictions engine. */
export interface Predictor {
  /** `results[i]` answers `queries[i]`; `asker` is the calling instance, whose own history may answer. */
  predict(queries: PredictionQuery[], asker?: { instanceId: string }): Promise<PredictionResponse[]>;
}

export interface PredictionsRouteOptions {
  predictor: Predictor;
  rateLimit: Record<string, unknown> | false;
}

const QUANTILES = {
  type: "object",
  properties: {
    p10: { type: "number" },
    p25: { type: "number" },
    median: { type: "number" },
    p75: { type: "number" },
    p90: { type: "number" },
  },
  required: ["p10", "p25", "median", "p75", "p90"],
};

const PREDICTION_SCHEMA = {
  type: ["object", "null"],
  properties: {
    input_tokens: QUANTILES,
    output_tokens: QUANTILES,
    cost_usd_micros: QUANTILES,
    duration_ms: QUANTILES,
    correction_factors: {
      type: "object",
      properties: { input: { type: "number" }, output: { type: "number" } },
      required: ["input", "output"],
    },
    quality: {
      type: "object",
      properties: { gate_pass_rate: { type: "number" }, success_rate: { type: "number" } },
      required: ["gate_pass_rate", "success_rate"],
    },
  },
};

const METADATA_SCHEMA = {
  type: "object",
  properties: {
    sample_size: { type: "integer" },
    contributors: { type: "integer" },
    fallback_level: { type: "integer", enum: [-1, 0, 1, 2, 3] },
    dimensions: { type: "array", items: { type: "string", enum: [...PREDICTION_DIMENSIONS] } },
    confidence: { type: "string", enum: ["high", "medium", "low", "none"] },
    last_updated: { type: ["string", "null"] },
    source: { type: "string", enum: [...PREDICTION_SOURCES] },
  },
  required: ["sample_size", "contributors", "fallback_level", "dimensions", "confidence", "last_updated"],
};

const BATCH_RESPONSE_SCHEMA = {
  type: "object",
  properties: {
    results: {
      type: "array",
      items: {
        type: "object",
        properties: { query: PREDICTION_QUERY_SCHEMA, prediction: PREDICTION_SCHEMA, metadata: METADATA_SCHEMA },
        required: ["query", "prediction", "metadata"],
      },
    },
  },
  required: ["results"],
};

/** POST /v1/predictions/batch: 1 to 50 queries, answered in order. */
export async function predictionsRoutes(app: FastifyInstance, options: PredictionsRouteOptions): Promise<void> {
  app.post(
    "/predictions/batch",
    {
      config: options.rateLimit === false ? {} : { rateLimit: options.rateLimit },
      schema: {
        tags: ["predictions"],
        summary: "Predict cost, tokens and duration of tasks",
        description:
          "Quantiles from the crowd's published snapshot (bounded weights, noise, recomputed at most once per " +
          "snapshot interval), falling back (complexity, then task_type, then model dropped) until a level has enough " +
          "events and contributing instances; where none has, the calling instance's own events answer exactly " +
          '(`metadata.source: "own"`). `source` in a query asks for one of the two. `fallback_level: -1` and ' +
          "`prediction: null` when neither has data.",
        security: API_KEY_SECURITY,
        body: PREDICTION_BATCH_REQUEST_SCHEMA,
        response: {
          200: response("One result per query, in order.", BATCH_RESPONSE_SCHEMA, RATE_LIMIT_HEADERS),
          ...errorResponses([400, 401, 413, 415, 429, 500, 503], RATE_LIMIT_HEADERS),
        },
      },
    },
    async (request): Promise<PredictionBatchResponse> => {
      const { queries } = request.body as { queries: PredictionQuery[] };
      // Only the four dimensions and the source go to the engine (unknown fields are ignored, not passed on).
      const clean = queries.map(({ task_type, model, provider, complexity, source }) =>
        source === undefined ? { task_type, model, provider, complexity } : { task_type, model, provider, complexity, source },
      );
      const results = await options.predictor.predict(clean, request.apiKey ? { instanceId: request.apiKey.instanceId } : undefined);
      return { results };
    },
  );
}
