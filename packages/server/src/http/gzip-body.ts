import { Transform, type TransformCallback } from "node:stream";
import { createGunzip } from "node:zlib";
import type { FastifyRequest } from "fastify";
import { HttpError } from "./http-error.js";

/** A decompressed body stream that also reports how many compressed bytes came in (Fastify reads it). */
type DecodedStream = NodeJS.ReadableStream & { receivedEncodedLength?: number };

/**
 * preParsing hook: inflates `Content-Encoding: gzip` bodies and enforces `limit` on the inflated
 * bytes as they come, so a gzip bomb fails with 413 after at most `limit` bytes of output instead
 * of being inflated whole. Identity passes through; any other encoding is 415.
 */
export function gzipBodyHook(limit: number) {
  return async (request: FastifyRequest, _reply: unknown, payload: DecodedStream): Promise<DecodedStream> => {
    const encoding = String(request.headers["content-encoding"] ?? "identity").trim().toLowerCase();
    if (encoding === "identity" || encoding === "") return payload;
    if (encoding !== "gzip" && encoding !== "x-gzip") {
      throw new HttpError("unsupported_content_encoding", "Content-Encoding must be gzip or identity");
    }
    return inflate(payload, limit);
  };
}

function inflate(payload: DecodedStream, limit: number): DecodedStream {
  let encoded = 0;
  let decoded = 0;
  const gunzip = createGunzip();
  const limiter = new Transform({
    transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback) {
      decoded += chunk.length;
      if (decoded > limit) {
        callback(new HttpError("payload_too_large", `request body is larger than ${limit} bytes after decompression`));
        return;
      }
      callback(null, chunk);
    },
  }) as Transform & { receivedEncodedLength?: number };
  const fail = (error: Error) => {
    const mapped =
      error instanceof HttpError ? error : new HttpError("invalid_request", "request body is not valid gzip");
    payload.unpipe(gunzip);
    gunzip.destroy();
    limiter.destroy(mapped);
  };
  payload.on("data", (chunk: Buffer) => {
    encoded += chunk.length;
    limiter.receivedEncodedLength = encoded;
  });
  gunzip.on("error", fail);
  limiter.on("error", (error) => {
    payload.unpipe(gunzip);
    gunzip.destroy();
    void error;
  });
  payload.pipe(gunzip).pipe(limiter);
  limiter.receivedEncodedLength = 0;
  return limiter;
}
