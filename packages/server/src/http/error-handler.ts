import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import type { ErrorCode } from "@mosaicstack/telemetry-protocol";
import { StorageUnavailableError } from "../storage/storage.js";
import { HttpError, errorBody } from "./http-error.js";
import { logFrameworkAnswer } from "./request-log.js";
import { safeUrl as maskQueryAndKeys, type UrlMasker } from "./safe-url.js";

/** Seconds a client should wait before retrying while storage is down. */
export const STORAGE_RETRY_AFTER_SECONDS = 5;

/**
 * One place that turns every failure into the wire's error body: our HttpErrors as they are,
 * Fastify's own errors (body limit, JSON, media type, validation) mapped to our codes,
 * StorageUnavailableError to 503 with Retry-After, anything else to a plain 500 whose message
 * reveals nothing (the cause goes to the log only).
 */
export function installErrorHandling(app: FastifyInstance, safeUrl: UrlMasker = maskQueryAndKeys): void {
  app.setErrorHandler((error: unknown, request: FastifyRequest, reply: FastifyReply) => {
    const http = toHttpError(error);
    if (http.statusCode >= 500) {
      request.log.error({ err: safeErrorForLog(error), code: http.code }, "request failed");
    }
    return sendHttpError(reply, http);
  });

  app.setNotFoundHandler((request, reply) => {
    // The path is echoed to help a caller, never a query string, an API key or the admin token put in it by mistake.
    return reply.code(404).send(errorBody("not_found", `no route ${request.method} ${safeUrl(request.url).split("?")[0]}`));
  });
}

/**
 * Fastify's `frameworkErrors` option: errors it meets before routing (FST_ERR_BAD_URL, a path that
 * is not valid percent-encoding) get the API's error body through toHttpError, instead of
 * Fastify's own, whose message quotes the URL.
 */
export function answerFrameworkError(error: unknown, request: FastifyRequest, reply: FastifyReply): void {
  logFrameworkAnswer(request, reply);
  void sendHttpError(reply, toHttpError(error));
}

/** Answers `http`: its status, its headers and the API's error body. */
function sendHttpError(reply: FastifyReply, http: HttpError): FastifyReply {
  for (const [name, value] of Object.entries(http.headers)) void reply.header(name, value);
  return reply.code(http.statusCode).send(http.toBody());
}

/** Maps any thrown value to an HttpError. */
export function toHttpError(error: unknown): HttpError {
  if (error instanceof HttpError) return error;
  if (error instanceof StorageUnavailableError) {
    return new HttpError("storage_unavailable", "storage is unavailable, retry later", undefined, {
      "retry-after": String(STORAGE_RETRY_AFTER_SECONDS),
    });
  }
  const fastifyError = error as Partial<FastifyError> | null;
  if (typeof fastifyError !== "object" || fastifyError === null) return internal();
  const { code, statusCode } = fastifyError;
  if (fastifyError.validation !== undefined) return validationError(fastifyError as FastifyError);
  switch (code) {
    case "FST_ERR_CTP_BODY_TOO_LARGE":
      return new HttpError("payload_too_large", "request body is larger than the limit (counted after decompression)");
    case "FST_ERR_CTP_INVALID_MEDIA_TYPE":
      return new HttpError("unsupported_media_type", "Content-Type must be application/json");
    case "FST_ERR_CTP_EMPTY_JSON_BODY":
      return new HttpError("invalid_json", "request body is empty");
    case "FST_ERR_CTP_INVALID_JSON_BODY":
      return new HttpError("invalid_json", "request body is not valid JSON");
    case "FST_ERR_CTP_INVALID_CONTENT_LENGTH":
      return new HttpError("invalid_request", "Content-Length does not match the body");
    case "FST_ERR_CTP_INVALID_TYPE":
      return new HttpError("unsupported_media_type", "Content-Type is not valid");
    // Fastify's own message quotes the URL, where a credential may sit: not echoed.
    case "FST_ERR_BAD_URL":
      return new HttpError("invalid_request", "the URL is not valid (bad percent-encoding)");
  }
  // secure-json-parse throws a SyntaxError that Fastify marks 400.
  if (error instanceof SyntaxError && statusCode === 400) return new HttpError("invalid_json", "request body is not valid JSON");
  if (statusCode === 413) return new HttpError("payload_too_large", "request body is larger than the limit");
  if (statusCode === 415) return new HttpError("unsupported_media_type", "unsupported media type");
  if (statusCode === 404) return new HttpError("not_found", "not found");
  if (statusCode === 400) return new HttpError("invalid_request", "malformed request");
  // The static files' refusals (@fastify/static through `send`): a path it will not serve is not
  // found; a Range or a precondition (If-Match, If-Unmodified-Since) it cannot meet is the client's.
  if (statusCode === 403) return new HttpError("not_found", "not found");
  if (statusCode === 412 || statusCode === 416) {
    return new HttpError("invalid_request", statusCode === 416 ? "the requested range cannot be served" : "a precondition of the request does not hold");
  }
  return internal();
}

function internal(): HttpError {
  return new HttpError("internal_error", "internal server error");
}

interface ValidationEntry {
  keyword?: string;
  instancePath?: string;
  message?: string;
  params?: Record<string, unknown>;
}

/** A schema violation: an over-long or empty batch gets its own code, the rest invalid_request. */
function validationError(error: FastifyError): HttpError {
  const entries = (error.validation ?? []) as ValidationEntry[];
  const first = entries[0];
  const context = (error as FastifyError & { validationContext?: string }).validationContext ?? "body";
  const path = first?.instancePath ?? "";
  const topLevelArray = /^\/[a-z_]+$/.test(path);
  const where = `${context}${path.replaceAll("/", ".")}`;
  const details = entries.map((entry) => ({ path: entry.instancePath ?? "", message: entry.message ?? "" }));
  let code: ErrorCode = "invalid_request";
  if (context === "body" && topLevelArray && first?.keyword === "maxItems") code = "batch_too_large";
  if (context === "body" && topLevelArray && first?.keyword === "minItems") code = "empty_batch";
  return new HttpError(code, `${where} ${first?.message ?? "is invalid"}`, details);
}

/** What of an unexpected error may go to the log: name, message, code and stack, no request data. */
function safeErrorForLog(error: unknown): unknown {
  if (error instanceof Error) {
    const cause = error.cause instanceof Error ? { name: error.cause.name, message: error.cause.message } : undefined;
    return { name: error.name, message: error.message, code: (error as { code?: unknown }).code, stack: error.stack, cause };
  }
  return { value: String(error) };
}
