import { ERROR_STATUS, type ErrorBody, type ErrorCode } from "@mosaicstack/telemetry-protocol";

/**
 * An error that crosses the wire: its status follows from its code (protocol's ERROR_STATUS),
 * its message is for a person and never holds a secret or a stack.
 *
 * @example
 * throw new HttpError("not_found", "no instance with this id");
 */
export class HttpError extends Error {
  override readonly name = "HttpError";
  readonly statusCode: number;

  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly details?: unknown,
    /** Extra response headers, e.g. Retry-After. */
    readonly headers: Readonly<Record<string, string>> = {},
  ) {
    super(message);
    this.statusCode = ERROR_STATUS[code];
  }

  toBody(): ErrorBody {
    return errorBody(this.code, this.message, this.details);
  }
}

/** `{"error": {code, message, details?}}` */
export function errorBody(code: ErrorCode, message: string, details?: unknown): ErrorBody {
  return details === undefined ? { error: { code, message } } : { error: { code, message, details } };
}
