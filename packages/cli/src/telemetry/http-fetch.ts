import { request as httpRequest, type IncomingMessage } from "node:http";
import { request as httpsRequest } from "node:https";
import type { FetchLike, FetchResponseLike } from "@mosaicstack/telemetry-client";

/**
 * The SDK's `fetch` subset (FetchLike) over `node:http` and `node:https`, for the CLI's
 * short-lived processes. Node's global fetch (undici) parses HTTP with a WebAssembly build of
 * llhttp: the first fetch of a process compiles it, and V8 tiers it up on a background thread
 * that the process's exit then waits for. A hook that sends one event took about 200 ms longer
 * from start to exit than the same hook over `node:http`, whose parser is native
 * (docs/benchmarks/cli-hook.md; why by hand: docs/decisions/0003-written-by-hand.md).
 *
 * What the SDK needs only: a method, headers and a body out; the status, a header and the body
 * text back; an AbortSignal that ends the request (the SDK's timeout aborts it); failures shaped
 * as undici's, so the SDK's messages are the same with either.
 */
export const httpFetch: FetchLike = (url, init) =>
  new Promise<FetchResponseLike>((resolve, reject) => {
    const { signal } = init;
    if (signal.aborted) {
      reject(abortError(signal));
      return;
    }
    const target = new URL(url);
    const send = target.protocol === "https:" ? httpsRequest : httpRequest;
    const body = typeof init.body === "string" ? Buffer.from(init.body) : init.body;
    const request = send(target, { method: init.method, headers: { ...init.headers, "content-length": String(body.byteLength) } }, (response) => {
      readBody(response).then(
        (text) => resolve(responseOf(response, text)),
        (error: unknown) => reject(failure(error, signal)),
      );
    });
    // Destroyed with an error so that the request (or the response being read) fails at once;
    // failure() then rejects with the signal's reason.
    const onAbort = (): void => {
      request.destroy(new Error("aborted"));
    };
    signal.addEventListener("abort", onAbort, { once: true });
    request.on("error", (error) => {
      signal.removeEventListener("abort", onAbort);
      reject(failure(error, signal));
    });
    request.on("close", () => signal.removeEventListener("abort", onAbort));
    request.end(body);
  });

function readBody(response: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    response.on("data", (chunk: Buffer) => chunks.push(chunk));
    response.on("end", () => resolve(Buffer.concat(chunks).toString("utf8")));
    response.on("error", reject);
  });
}

function responseOf(response: IncomingMessage, text: string): FetchResponseLike {
  return {
    status: response.statusCode ?? 0,
    headers: {
      get(name: string): string | null {
        const value = response.headers[name.toLowerCase()];
        return value === undefined ? null : Array.isArray(value) ? value.join(", ") : value;
      },
    },
    text: () => Promise.resolve(text),
  };
}

/** What an aborted request rejects with: the signal's reason, as undici does. */
function abortError(signal: AbortSignal): unknown {
  return signal.reason ?? new DOMException("This operation was aborted", "AbortError");
}

/**
 * A failed request or response, as undici rejects: the abort's reason when the signal ended it,
 * else "fetch failed" with the system error as the cause, whose code the SDK reports
 * (ECONNREFUSED, ECONNRESET…); the system error's own message would name the host and port.
 */
function failure(error: unknown, signal: AbortSignal): unknown {
  return signal.aborted ? abortError(signal) : new TypeError("fetch failed", { cause: error });
}
