/**
 * The SDK's error family (ky-style): one base class with a `code` and a `cause`, and a few
 * subclasses that carry what a handler may want to branch on. Every message is written by the
 * SDK itself and never contains the API key.
 */

/** Every code an SDK error can carry. */
export type TelemetryErrorCode =
  | "invalid_config"
  | "option_clamped"
  | "invalid_event"
  | "event_rejected"
  | "queue_overflow"
  | "client_stopped"
  | "http_error"
  | "network_error"
  | "timeout"
  | "invalid_response"
  | "events_pending"
  | "spool_error"
  | "internal_error";

/** Base of every error the SDK hands to `onError`. */
export class TelemetryError extends Error {
  readonly code: TelemetryErrorCode;

  constructor(code: TelemetryErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "TelemetryError";
    this.code = code;
  }
}

/** A missing or malformed option. The client keeps running (and drops events when it cannot send). */
export class TelemetryConfigError extends TelemetryError {
  /** The option at fault, e.g. `"apiKey"`. */
  readonly option: string;

  constructor(code: "invalid_config" | "option_clamped", option: string, message: string) {
    super(code, message);
    this.name = "TelemetryConfigError";
    this.option = option;
  }
}

/** The server answered with a status the SDK does not retry, or retried in vain. */
export class TelemetryHttpError extends TelemetryError {
  /** The HTTP status, e.g. 403. */
  readonly status: number;
  /** The server's error code from its `{"error": {"code"}}` body, when it sent one. */
  readonly serverCode: string | undefined;

  constructor(status: number, serverCode: string | undefined, serverMessage: string | undefined) {
    // "HTTP 403: instance_mismatch ..." - the prefix is what the guide's handlers match on.
    const detail = [serverCode, serverMessage].filter((part) => part !== undefined && part !== "").join(" ");
    super("http_error", detail === "" ? `HTTP ${status}` : `HTTP ${status}: ${detail}`);
    this.name = "TelemetryHttpError";
    this.status = status;
    this.serverCode = serverCode;
  }
}

/** The request never got an answer: connection refused or dropped, DNS, or the request timeout. */
export class TelemetryNetworkError extends TelemetryError {
  constructor(code: "network_error" | "timeout", message: string, cause?: unknown) {
    super(code, message, { cause });
    this.name = "TelemetryNetworkError";
  }
}

/** One event was dropped: invalid before sending (`invalid_event`) or rejected by the server (`event_rejected`). */
export class TelemetryEventError extends TelemetryError {
  /** The dropped event's id, when it had a readable one. */
  readonly eventId: string | null;
  /** The field at fault, when known. */
  readonly field: string | undefined;

  constructor(
    code: "invalid_event" | "event_rejected",
    message: string,
    eventId: string | null,
    field?: string,
  ) {
    super(code, message);
    this.name = "TelemetryEventError";
    this.eventId = eventId;
    this.field = field;
  }
}
