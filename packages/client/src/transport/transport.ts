import type { TelemetryError } from "../errors.js";

/** A payload ready for the wire: its JSON, gzip-compressed when that was worth it. */
export interface EncodedBody {
  readonly body: string | Uint8Array;
  readonly gzip: boolean;
}

/** One POST of a JSON payload to the API. */
export interface TransportRequest {
  /** Absolute URL of the endpoint. */
  readonly url: string;
  /** Serialised with JSON.stringify by the HTTP transport. */
  readonly payload: unknown;
  /** The payload already encoded (see Transport.encode); encoded on sending when absent. */
  readonly encoded?: Promise<EncodedBody>;
}

/**
 * What came of one request (OpenTelemetry's export result): an answer to interpret, a failure
 * worth retrying, a final failure, or a caller abort (stop() ran out of time).
 */
export type TransportResult =
  | { readonly kind: "ok"; readonly status: number; readonly body: unknown }
  | { readonly kind: "retryable"; readonly error: TelemetryError; readonly retryAfterMs: number | undefined }
  | { readonly kind: "final"; readonly error: TelemetryError; readonly status: number | undefined }
  | { readonly kind: "aborted" };

/** A transport sends one request; it never throws or rejects. */
export interface Transport {
  send(request: TransportRequest, signal: AbortSignal): Promise<TransportResult>;
  /**
   * Encodes a payload ahead of its request, so that a sender can prepare the next batch while
   * one is on the wire. Never rejects. Transports without a wire format leave it out.
   */
  encode?(payload: unknown): Promise<EncodedBody>;
}
