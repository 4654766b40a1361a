/**
 * The shape of an API key: `msk_` + at least 32 base62 characters of randomness + `_` + a
 * 6-character base62 checksum (CRC-32 of everything before the last `_`), so a scanner or a
 * client can tell a real key from a typo without a lookup (the idea of GitHub's token format).
 * CRC-32 is written here because the protocol package has no dependencies and needs 20 lines.
 */

export const API_KEY_PREFIX = "msk_";
export const API_KEY_MIN_RANDOM_LENGTH = 32;
export const API_KEY_CHECKSUM_LENGTH = 6;

const BASE62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
const KEY_PATTERN = /^msk_([0-9A-Za-z]{32,128})_([0-9A-Za-z]{6})$/;

const CRC_TABLE = (() => {
  const table = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    table[n] = c >>> 0;
  }
  return table;
})();

function crc32(text: string): number {
  let crc = 0xffffffff;
  for (let i = 0; i < text.length; i++) {
    crc = (CRC_TABLE[(crc ^ text.charCodeAt(i)) & 0xff] as number) ^ (crc >>> 8);
  }
  return (crc ^ 0xffffffff) >>> 0;
}

/** Encodes a non-negative integer in base62, left-padded with "0" to `width`. */
export function toBase62(value: number, width: number): string {
  let out = "";
  let rest = value;
  do {
    out = BASE62[rest % 62] + out;
    rest = Math.floor(rest / 62);
  } while (rest > 0);
  return out.padStart(width, "0");
}

/** The checksum of a key's random part. */
export function apiKeyChecksum(randomPart: string): string {
  return toBase62(crc32(API_KEY_PREFIX + randomPart), API_KEY_CHECKSUM_LENGTH);
}

/** Builds a key from its random base62 part (the server draws that part from a CSPRNG). */
export function formatApiKey(randomPart: string): string {
  return `${API_KEY_PREFIX}${randomPart}_${apiKeyChecksum(randomPart)}`;
}

/** True when `key` has the shape of a key and its checksum holds. Says nothing of whether it is issued. */
export function isWellFormedApiKey(key: unknown): key is string {
  if (typeof key !== "string") return false;
  const match = KEY_PATTERN.exec(key);
  return match !== null && apiKeyChecksum(match[1] as string) === match[2];
}

/** The display form of a key, safe to log and list: `msk_ab12…wxyz`. */
export function displayApiKey(key: string): string {
  return `${key.slice(0, 8)}…${key.slice(-4)}`;
}

export const BASE62_ALPHABET = BASE62;
