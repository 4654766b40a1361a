import type { Complexity, Provider, TaskType } from "./enums.js";

/** The most queries one `POST /v1/predictions/batch` may carry. */
export const MAX_QUERIES_PER_BATCH = 50;

/**
 * Where an answer comes from: "crowd", the noisy snapshot of every instance's events (needs the
 * contributor minimum), or "own", the asking instance's own events (exact, no minimum).
 */
export type PredictionSource = "crowd" | "own";
export const PREDICTION_SOURCES = Object.freeze(["crowd", "own"] as const);

/** The four dimensions a prediction is asked for. */
export interface PredictionQuery {
  task_type: TaskType;
  model: string;
  provider: Provider;
  complexity: Complexity;
  /** Ask for one source only. Omitted: the crowd's answer when a crowd level answers, else the instance's own history. */
  source?: PredictionSource;
}

/** Five quantiles of one metric. */
export interface Quantiles {
  p10: number;
  p25: number;
  median: number;
  p75: number;
  p90: number;
}

export interface Prediction {
  input_tokens: Quantiles;
  output_tokens: Quantiles;
  cost_usd_micros: Quantiles;
  duration_ms: Quantiles;
  /** Actual over estimated tokens: above 1 means estimates run low. */
  correction_factors: { input: number; output: number };
  quality: { gate_pass_rate: number; success_rate: number };
}

export type Confidence = "high" | "medium" | "low" | "none";

/** 0: all four dimensions matched; 1: complexity dropped; 2: task_type too; 3: provider alone; -1: no data. */
export type FallbackLevel = -1 | 0 | 1 | 2 | 3;

/** The dimensions in the order fallback drops them: complexity first, then task_type, then model. */
export const PREDICTION_DIMENSIONS = Object.freeze(["provider", "model", "task_type", "complexity"] as const);
export type PredictionDimension = (typeof PREDICTION_DIMENSIONS)[number];

export interface PredictionMetadata {
  sample_size: number;
  /** Distinct instances whose events make up the answer. */
  contributors: number;
  fallback_level: FallbackLevel;
  /** The dimensions matched at that level. */
  dimensions: PredictionDimension[];
  confidence: Confidence;
  /** ISO 8601: a crowd answer's snapshot time, an own answer's last event; null with no prediction. */
  last_updated: string | null;
  /** Which events answered; absent with no prediction. */
  source?: PredictionSource;
}

/** `results[i]` answers `queries[i]`. */
export interface PredictionResponse {
  query: PredictionQuery;
  prediction: Prediction | null;
  metadata: PredictionMetadata;
}

export interface PredictionBatchRequest {
  queries: PredictionQuery[];
}

export interface PredictionBatchResponse {
  results: PredictionResponse[];
}

/** The dimensions kept at each fallback level, 0 to 3. */
export function dimensionsAtLevel(level: 0 | 1 | 2 | 3): PredictionDimension[] {
  return PREDICTION_DIMENSIONS.slice(0, PREDICTION_DIMENSIONS.length - level);
}

/** A stable key for a query (same four values and source, same key), for caches. */
export function predictionQueryKey(query: PredictionQuery): string {
  const dimensions = [query.provider, query.model, query.task_type, query.complexity];
  // A query for one source has an answer of its own; without one, the key is what it always was.
  return JSON.stringify(query.source === undefined ? dimensions : [...dimensions, query.source]);
}
