// The public surface of @mosaicstack/telemetry-client (its README; fixed by the contract's integration guide). Named exports only.
export { TelemetryClient } from "./client.js";
export type { StopResult, FlushResult } from "./results.js";
export { EventBuilder } from "./event-builder.js";
export type { TelemetryClientOptions } from "./options.js";
export type { TelemetryClientHooks, FetchLike, FetchResponseLike } from "./platform.js";
export type { TelemetryStats } from "./stats.js";
export {
  TelemetryError,
  TelemetryConfigError,
  TelemetryHttpError,
  TelemetryNetworkError,
  TelemetryEventError,
} from "./errors.js";
export type { TelemetryErrorCode } from "./errors.js";
export {
  TaskType,
  Complexity,
  Harness,
  Provider,
  Outcome,
  QualityGate,
  RepoSizeCategory,
  SCHEMA_VERSION,
} from "@mosaicstack/telemetry-protocol";
export type {
  TaskCompletionFields,
  TaskCompletionEvent,
  PredictionQuery,
  PredictionResponse,
  Prediction,
  PredictionMetadata,
  Quantiles,
  Confidence,
  FallbackLevel,
  PredictionDimension,
  EventResult,
  EventStatus,
  EventBatchResponse,
} from "@mosaicstack/telemetry-protocol";
