import type { FastifyRequest } from "fastify";
import { isWellFormedApiKey } from "@mosaicstack/telemetry-protocol";
import { HttpError } from "../http/http-error.js";
import type { ApiKeyRecord, Storage } from "../storage/storage.js";
import type { ApiKeyCache } from "./api-key-cache.js";
import type { AuthFailureThrottle } from "./auth-failure-throttle.js";
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
  /** Counts failures per client address and refuses an address over its budget. @default none */
  throttle?: AuthFailureThrottle;
}

/**
 * onRequest hook for /v1/ (not admin): a well-formed key first (a typo or a scan costs no
 * lookup), then its SHA-256 looked up (cached), compared timing-safe, and refused when revoked
 * or expired. Every refusal is the same 401, so a caller learns nothing about which keys exist.
 *
 * Each 401 counts against the client address; an address over its budget is refused (429)
 * before its key is looked up, unless the key is one this process has verified already (in the
 * cache, valid): a client that shares its address with a guesser keeps working, and the guesser
 * learns nothing it could not learn without the throttle (auth-failure-throttle.ts).
 */
export function apiKeyAuthHook(deps: ApiKeyAuthDeps) {
  const { throttle } = deps;
  const refuse = async (request: FastifyRequest, message: string): Promise<never> => {
    await throttle?.failed(request.ip);
    throw unauthorized(message);
  };
  return async (request: FastifyRequest): Promise<void> => {
    const key = bearerToken(request);
    const hash = key !== null && isWellFormedApiKey(key) ? sha256Hex(key) : null;
    let record = hash === null ? undefined : deps.cache.get(hash);
    const now = deps.now().getTime();
    if (throttle !== undefined && !(record && usable(record, hash as string, now))) throttle.check(request.ip);
    if (key === null) return refuse(request, "missing API key: send Authorization: Bearer msk_...");
    if (hash === null) return refuse(request, "invalid API key");
    if (record === undefined) {
      // A revocation arriving while the lookup runs must not leave its result cached (api-key-cache.ts).
      const generation = deps.cache.generation;
      record = await deps.storage.findApiKeyByHash(hash);
      deps.cache.set(hash, record, generation);
    }
    if (record === null || !usable(record, hash, deps.now().getTime())) return refuse(request, "invalid API key");
    request.apiKey = record;
  };
}

/** The key of `hash`, neither revoked nor expired at `now`. */
function usable(record: ApiKeyRecord, hash: string, now: number): boolean {
  if (!hexDigestsEqual(record.hash, hash)) return false;
  if (record.revokedAt !== null && record.revokedAt.getTime() <= now) return false;
  return record.expiresAt === null || record.expiresAt.getTime() > now;
}

function unauthorized(message: string): HttpError {
  return new HttpError("unauthorized", message, undefined, { "www-authenticate": 'Bearer realm="mosaic-telemetry"' });
}
