import type { FastifySchema } from "fastify";
import { ERROR_CODES, ERROR_STATUS, type ErrorCode } from "@mosaicstack/telemetry-protocol";

/**
 * Schemas shared by the route definitions. Response schemas serve twice: Fastify serialises with
 * them (fields not listed are dropped, so each is complete) and @fastify/swagger turns them
 * into the OpenAPI document.
 */

type Schema = Record<string, unknown>;

/** Headers every response carries. */
const COMMON_HEADERS: Schema = {
  "API-Version": { type: "string", description: 'The API version that answered: "1".' },
};

/** Headers of the rate-limited routes (IETF draft-ietf-httpapi-ratelimit-headers). */
export const RATE_LIMIT_HEADERS: Schema = {
  "RateLimit-Limit": { type: "integer", description: "Requests allowed per window for this API key." },
  "RateLimit-Remaining": { type: "integer", description: "Requests left in the current window." },
  "RateLimit-Reset": { type: "integer", description: "Seconds until the window resets." },
};

export const ERROR_BODY_SCHEMA: Schema = {
  type: "object",
  description: "The body of every failed request.",
  properties: {
    error: {
      type: "object",
      properties: {
        code: { type: "string", enum: [...ERROR_CODES] },
        message: { type: "string", description: "For a person; never a stack trace or a secret." },
        details: { description: "Optional, code-specific." },
      },
      required: ["code", "message"],
    },
  },
  required: ["error"],
};

/** A response schema with its description and headers. */
export function response(description: string, body: Schema | null, extraHeaders: Schema = {}): Schema {
  const headers = { ...COMMON_HEADERS, ...extraHeaders };
  if (body === null) return { description, headers, type: "null" };
  // The response's description last: the body schema's own (ERROR_BODY_SCHEMA's) would hide it.
  return { ...body, description, headers };
}

const STATUS_TEXT: Record<number, string> = {
  400: "Malformed request.",
  401: "Missing, malformed, unknown, revoked or expired credential.",
  403: "Forbidden.",
  404: "Not found.",
  410: "This API version was retired at its sunset date (RFC 8594); the message names its successor, also linked in `Link: <…>; rel=\"successor-version\"`.",
  413: "Body over the byte limit (counted after decompression).",
  415: "Wrong Content-Type or Content-Encoding.",
  429: "Rate limited (per API key), or too many failed authentications from this client address: retry after Retry-After seconds.",
  500: "Internal error.",
  503: "Storage unavailable: retry after Retry-After seconds.",
};

/** Error responses for the given statuses, each with the error body and the codes it may carry. */
export function errorResponses(statuses: readonly number[], extraHeaders: Schema = {}): Record<number, Schema> {
  const out: Record<number, Schema> = {};
  for (const status of statuses) {
    const codes = (Object.keys(ERROR_STATUS) as ErrorCode[]).filter((code) => ERROR_STATUS[code] === status);
    const retry = status === 429 || status === 503 ? { "Retry-After": { type: "integer", description: "Seconds to wait." } } : {};
    const limited = status === 429 ? RATE_LIMIT_HEADERS : {};
    out[status] = response(
      `${STATUS_TEXT[status] ?? "Error."} Codes: ${codes.join(", ")}.`,
      ERROR_BODY_SCHEMA,
      { ...extraHeaders, ...retry, ...limited },
    );
  }
  return out;
}

/**
 * A route's schema with `responses` added to its documented responses, without touching the objects the route
 * shares with others (route files reuse schema constants). A status the route documents itself
 * keeps its own entry.
 */
export function withResponses(schema: FastifySchema | undefined, responses: Record<number, Schema>): FastifySchema {
  const own = (schema?.response ?? {}) as Record<string, Schema>;
  return { ...schema, response: { ...responses, ...own } };
}

export const UUID_SCHEMA: Schema = { type: "string", pattern: "^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$" };

/** Security requirement of the /v1/ data routes. */
export const API_KEY_SECURITY = [{ apiKey: [] }];
/** Security requirement of the admin routes. */
export const ADMIN_SECURITY = [{ adminToken: [] }];
