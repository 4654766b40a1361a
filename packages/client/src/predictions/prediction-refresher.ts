import {
  MAX_QUERIES_PER_BATCH,
  type PredictionQuery,
  type PredictionResponse,
} from "@mosaicstack/telemetry-protocol";
import { TelemetryError } from "../errors.js";
import type { Report } from "../reporter.js";
import type { Transport } from "../transport/transport.js";
import type { PredictionCache } from "./prediction-cache.js";

function isQuery(value: unknown): value is PredictionQuery {
  const q = value as Partial<PredictionQuery> | null;
  return (
    typeof q === "object" &&
    q !== null &&
    typeof q.task_type === "string" &&
    typeof q.model === "string" &&
    typeof q.provider === "string" &&
    typeof q.complexity === "string"
  );
}

function isResponse(value: unknown): value is PredictionResponse {
  const r = value as Partial<PredictionResponse> | null;
  return typeof r === "object" && r !== null && typeof r.metadata === "object" && r.metadata !== null && "prediction" in r;
}

/**
 * Fetches predictions in chunks of at most 50 queries (the server's limit) and caches each
 * answer under the query it answers (`results[i]` answers `queries[i]`). A failed chunk is
 * reported and leaves the cache as it was; the others still count. Never rejects.
 */
export async function refreshPredictions(
  queries: unknown,
  url: string,
  transport: Transport,
  cache: PredictionCache,
  report: Report,
  signal: AbortSignal,
): Promise<void> {
  if (!Array.isArray(queries)) {
    report(new TelemetryError("invalid_config", "refreshPredictions expects an array of queries"));
    return;
  }
  const valid = queries.filter(isQuery);
  if (valid.length < queries.length) {
    report(new TelemetryError("invalid_config", `refreshPredictions: ${queries.length - valid.length} queries lack task_type, model, provider or complexity and were skipped`));
  }
  for (let start = 0; start < valid.length; start += MAX_QUERIES_PER_BATCH) {
    const chunk = valid.slice(start, start + MAX_QUERIES_PER_BATCH);
    const result = await transport.send({ url, payload: { queries: chunk } }, signal);
    if (result.kind === "aborted") return;
    if (result.kind === "retryable") continue; // the outage monitor reported its first failure
    if (result.kind !== "ok") {
      report(result.error);
      continue;
    }
    const results = (result.body as { results?: unknown } | undefined)?.results;
    if (!Array.isArray(results) || results.length !== chunk.length) {
      report(new TelemetryError("invalid_response", "Prediction answer does not match the queries; cache kept as it was"));
      continue;
    }
    for (let i = 0; i < chunk.length; i++) {
      const response: unknown = results[i];
      if (isResponse(response)) cache.set(chunk[i] as PredictionQuery, response);
    }
  }
}
