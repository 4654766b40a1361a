/**
 * The closed list of error codes that cross the wire, kept in one place. Each maps to the HTTP
 * status it is answered with; per-event rejections use `invalid_event` and
 * `unsupported_schema_version` inside a `200`.
 */
export const ERROR_STATUS = Object.freeze({
  invalid_json: 400,
  invalid_request: 400,
  batch_too_large: 400,
  empty_batch: 400,
  unauthorized: 401,
  instance_mismatch: 403,
  forbidden: 403,
  not_found: 404,
  method_not_allowed: 405,
  payload_too_large: 413,
  unsupported_media_type: 415,
  unsupported_content_encoding: 415,
  rate_limited: 429,
  internal_error: 500,
  storage_unavailable: 503,
  /** The server is shutting down (or otherwise cannot take the request now): retry, likely on another node. */
  service_unavailable: 503,
  admin_disabled: 404,
  /** The API version was retired at its sunset date (RFC 8594); the message names its successor. */
  api_version_sunset: 410,
  invalid_event: 200,
  unsupported_schema_version: 200,
} as const);

export type ErrorCode = keyof typeof ERROR_STATUS;

/** Every error code, for schemas and tests. */
export const ERROR_CODES: readonly ErrorCode[] = Object.freeze(Object.keys(ERROR_STATUS) as ErrorCode[]);

/** The body of every failed request. */
export interface ErrorBody {
  error: {
    code: ErrorCode;
    /** For a person; never a stack trace or a secret. */
    message: string;
    details?: unknown;
  };
}

/**
 * Whether a client retries this status (docs/api.md): 429 and every 5xx except 501 (Not
 * Implemented will not change on a retry). Every other status is final. Resending is safe
 * because the server dedups exactly by event_id.
 */
export function isRetryableStatus(status: number): boolean {
  return status === 429 || (status >= 500 && status <= 599 && status !== 501);
}
