import { isRetryableStatus } from "@mosaicstack/telemetry-protocol";
import { gzipBody } from "./gzip-body.js";
import { TelemetryHttpError, TelemetryNetworkError } from "../errors.js";
import type { FetchLike, Platform } from "../platform.js";
import { parseRetryAfter } from "./retry-after.js";
import type { EncodedBody, Transport, TransportRequest, TransportResult } from "./transport.js";

/** Longest part of a server's error message quoted in an SDK error. */
const MAX_SERVER_MESSAGE = 300;

function parseJson(text: string): unknown {
  if (text === "") return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

/** The `{"error": {"code", "message"}}` of a failed answer, when there is one. */
function serverError(body: unknown): { code: string | undefined; message: string | undefined } {
  const error = (body as { error?: { code?: unknown; message?: unknown } } | undefined)?.error;
  const code = typeof error?.code === "string" ? error.code.slice(0, 60) : undefined;
  const message = typeof error?.message === "string" ? error.message.slice(0, MAX_SERVER_MESSAGE) : undefined;
  return { code, message };
}

/**
 * The HTTP transport: one JSON POST with the bearer key and a time limit, gzip-compressed when
 * large, the answer mapped to a result by the retry rules of docs/api.md (network errors,
 * timeouts, 429 and every 5xx except 501 are retryable; every other non-2xx status is final).
 */
export class FetchTransport implements Transport {
  constructor(
    private readonly fetchImpl: FetchLike,
    private readonly apiKey: string,
    private readonly timeoutMs: number,
    private readonly platform: Pick<Platform, "now" | "after">,
    private readonly gzip: boolean,
  ) {}

  /** The payload's JSON, gzip-compressed (on the thread pool) when over 1 KiB and gzip is on. */
  async encode(payload: unknown): Promise<EncodedBody> {
    const json = JSON.stringify(payload);
    const compressed = this.gzip ? await gzipBody(json) : null;
    return compressed === null ? { body: json, gzip: false } : { body: compressed, gzip: true };
  }

  async send(request: TransportRequest, signal: AbortSignal): Promise<TransportResult> {
    if (signal.aborted) return { kind: "aborted" };
    const controller = new AbortController();
    let timedOut = false;
    const onAbort = (): void => controller.abort();
    signal.addEventListener("abort", onAbort, { once: true });
    const cancelTimer = this.platform.after(() => {
      timedOut = true;
      controller.abort();
    }, this.timeoutMs);
    try {
      const encoded = await (request.encoded ?? this.encode(request.payload));
      const headers: Record<string, string> = {
        authorization: `Bearer ${this.apiKey}`,
        "content-type": "application/json",
        accept: "application/json",
      };
      if (encoded.gzip) headers["content-encoding"] = "gzip";
      const response = await this.fetchImpl(request.url, {
        method: "POST",
        headers,
        body: encoded.body,
        signal: controller.signal,
      });
      const body = parseJson(await response.text());
      const status = response.status;
      if (status >= 200 && status < 300) return { kind: "ok", status, body };
      const { code, message } = serverError(body);
      const error = new TelemetryHttpError(status, code, message);
      if (isRetryableStatus(status)) {
        const retryAfterMs = parseRetryAfter(response.headers.get("retry-after"), this.platform.now());
        return { kind: "retryable", error, retryAfterMs };
      }
      return { kind: "final", error, status };
    } catch (cause) {
      if (signal.aborted && !timedOut) return { kind: "aborted" };
      // The cause is kept for debugging; the SDK's own message names no URL and no key.
      const error = timedOut
        ? new TelemetryNetworkError("timeout", `Request timed out after ${this.timeoutMs} ms`, cause)
        : new TelemetryNetworkError("network_error", `Network error: ${describe(cause)}`, cause);
      return { kind: "retryable", error, retryAfterMs: undefined };
    } finally {
      cancelTimer();
      signal.removeEventListener("abort", onAbort);
    }
  }
}

/**
 * A short reason from a fetch failure: undici throws "fetch failed" and puts the real reason in
 * `cause` (a system error's code such as ECONNREFUSED, ENOTFOUND, CERT_HAS_EXPIRED, or a message
 * such as "bad port").
 */
function describe(cause: unknown): string {
  const inner = (cause as { cause?: { code?: unknown; message?: unknown } } | undefined)?.cause;
  if (typeof inner?.code === "string") return inner.code;
  if (typeof inner?.message === "string" && inner.message !== "") return inner.message.slice(0, 200);
  if (cause instanceof Error) return cause.message.slice(0, 200);
  return "request failed";
}
