import type { FastifyRequest } from "fastify";
import { isWellFormedApiKey } from "@mosaicstack/telemetry-protocol";
import { HttpError } from "../http/http-error.js";
import type { ApiKeyRecord, Storage } from "../storage/storage.js";
import type { ApiKeyCache } from "./api-key-cache.js";
import { hexDigestsEqual, sha256Hex } from "./secret-hash.js";

declare module "fastify" {
  interface FastifyRequest {
    /** The API key that authenticated this request (set by the /v1/ auth hook). */
    apiKey: ApiKeyRecord | null;
  }
}

/** The bearer credential of a request, or null. */
export function bearerToken(request: FastifyRequest): string | null {
  const header = request.headers.authorization;
  if (typeof header !== "string") return null;
  const match = /^Bearer[ ]+(\S+)\s*$/i.exec(header);
  return match?.[1] ?? null;
}

export interface ApiKeyAuthDeps {
  storage: Pick<Storage, "findApiKeyByHash">;
  cache: ApiKeyCache;
  now: () => Date;
}

/**
 * onRequest hook for /v1/ (not admin): a well-formed key first (a typo or a scan costs no
 * lookup), then its SHA-256 looked up (cached), compared timing-safe, and refused when revoked
 * or expired. Every refusal is the same 401, so a caller learns nothing about which keys exist.
 */
export function apiKeyAuthHook(deps: ApiKeyAuthDeps) {
  return async (request: FastifyRequest): Promise<void> => {
    const key = bearerToken(request);
    if (key === null) throw unauthorized("missing API key: send Authorization: Bearer msk_...");
    if (!isWellFormedApiKey(key)) throw unauthorized("invalid API key");
    const hash = sha256Hex(key);
    let record = deps.cache.get(hash);
    if (record === undefined) {
      // A revocation arriving while the lookup runs must not leave its result cached (api-key-cache.ts).
      const generation = deps.cache.generation;
      record = await deps.storage.findApiKeyByHash(hash);
      deps.cache.set(hash, record, generation);
    }
    if (record === null || !hexDigestsEqual(record.hash, hash)) throw unauthorized("invalid API key");
    const now = deps.now().getTime();
    if (record.revokedAt !== null && record.revokedAt.getTime() <= now) throw unauthorized("invalid API key");
    if (record.expiresAt !== null && record.expiresAt.getTime() <= now) throw unauthorized("invalid API key");
    request.apiKey = record;
  };
}

function unauthorized(message: string): HttpError {
  return new HttpError("unauthorized", message, undefined, { "www-authenticate": 'Bearer realm="mosaic-telemetry"' });
}
