export {
  TaskType,
  Complexity,
  Harness,
  Provider,
  Outcome,
  QualityGate,
  RepoSizeCategory,
  enumValues,
} from "./enums.js";
export { SCHEMA_VERSION } from "./event.js";
export type { SchemaVersion, TaskCompletionFields, TaskCompletionEvent } from "./event.js";
export {
  EVENT_FIELDS,
  MAX_FUTURE_SKEW_MS,
  MIN_EVENT_TIMESTAMP,
  NOT_PLAIN_TEXT_PATTERN,
  UUID_PATTERN,
  UTC_TIMESTAMP_PATTERN,
} from "./event-fields.js";
export type { FieldRule, FieldSpec } from "./event-fields.js";
export { isCalendarTimestamp, validateEvent } from "./validate-event.js";
export type { EventValidation, ValidateEventOptions } from "./validate-event.js";
export {
  EVENT_JSON_SCHEMA,
  EVENT_BATCH_REQUEST_SCHEMA,
  PREDICTION_QUERY_SCHEMA,
  PREDICTION_BATCH_REQUEST_SCHEMA,
} from "./schema.js";
export { MAX_EVENTS_PER_BATCH } from "./ingest.js";
export type { EventBatchRequest, EventBatchResponse, EventResult, EventStatus } from "./ingest.js";
export {
  MAX_QUERIES_PER_BATCH,
  PREDICTION_DIMENSIONS,
  dimensionsAtLevel,
  predictionQueryKey,
  PREDICTION_SOURCES,
} from "./predictions.js";
export type {
  Confidence,
  FallbackLevel,
  Prediction,
  PredictionBatchRequest,
  PredictionBatchResponse,
  PredictionDimension,
  PredictionMetadata,
  PredictionQuery,
  PredictionResponse,
  PredictionSource,
  Quantiles,
} from "./predictions.js";
export { ERROR_STATUS, ERROR_CODES, isRetryableStatus } from "./errors.js";
export type { ErrorBody, ErrorCode } from "./errors.js";
export {
  API_KEY_PREFIX,
  API_KEY_MIN_RANDOM_LENGTH,
  API_KEY_CHECKSUM_LENGTH,
  BASE62_ALPHABET,
  apiKeyChecksum,
  displayApiKey,
  formatApiKey,
  isWellFormedApiKey,
  toBase62,
} from "./api-key.js";
export type {
  ApiKeySummary,
  CreateApiKeyResponse,
  CreateInstanceRequest,
  CreateInstanceResponse,
  InstanceListResponse,
  InstanceSummary,
  InstanceUsageResponse,
  IssuedApiKey,
  RevokeApiKeyResponse,
} from "./admin.js";
export type { EstimateFigures, RatioBucketBounds, TopEvent, UsageFigures, UsageSeriesPoint, UsageSeriesResponse, UsageTopResponse } from "./usage.js";
