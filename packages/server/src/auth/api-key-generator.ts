import { randomBytes, randomUUID } from "node:crypto";
import { BASE62_ALPHABET, displayApiKey, formatApiKey } from "@mosaicstack/telemetry-protocol";
import type { NewApiKey } from "../storage/storage.js";
import { sha256Hex } from "./secret-hash.js";

/** Random base62 characters in a generated key: 43 x log2(62) = 256 bits. */
export const API_KEY_RANDOM_LENGTH = 43;

/** Source of random bytes, injectable for tests. */
export type RandomBytes = (size: number) => Uint8Array;

/**
 * `length` base62 characters drawn uniformly: bytes >= 248 (= 4 x 62) are dropped, because
 * `byte % 62` over all 256 values would favour the first 8 characters (no modulo bias).
 */
export function randomBase62(length: number, random: RandomBytes = randomBytes): string {
  let out = "";
  while (out.length < length) {
    for (const byte of random(length * 2)) {
      if (byte >= 248) continue;
      out += BASE62_ALPHABET[byte % 62];
      if (out.length === length) break;
    }
  }
  return out;
}

/** A freshly issued key: the full key (shown once) and the record storage keeps. */
export interface GeneratedApiKey {
  key: string;
  record: NewApiKey;
}

/**
 * Issues a key for `instanceId`: `msk_` + 43 base62 characters + `_` + checksum, id a UUID.
 *
 * @example
 * const { key, record } = generateApiKey(instanceId, new Date());
 * await storage.insertApiKey(record);
 */
export function generateApiKey(
  instanceId: string,
  now: Date,
  options: { random?: RandomBytes; expiresAt?: Date | null } = {},
): GeneratedApiKey {
  const key = formatApiKey(randomBase62(API_KEY_RANDOM_LENGTH, options.random));
  return {
    key,
    record: {
      id: randomUUID(),
      instanceId,
      hash: sha256Hex(key),
      display: displayApiKey(key),
      createdAt: now,
      expiresAt: options.expiresAt ?? null,
    },
  };
}
