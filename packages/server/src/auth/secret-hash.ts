import { createHash, timingSafeEqual } from "node:crypto";

/** Hex SHA-256 of a secret: what storage keeps of an API key. */
export function sha256Hex(secret: string): string {
  return createHash("sha256").update(secret, "utf8").digest("hex");
}

/**
 * Compares two secrets in constant time. Both are hashed first so that the comparison takes the
 * same time whatever their lengths (timingSafeEqual itself demands equal lengths).
 */
export function secretsEqual(a: string, b: string): boolean {
  const left = createHash("sha256").update(a, "utf8").digest();
  const right = createHash("sha256").update(b, "utf8").digest();
  return timingSafeEqual(left, right);
}

/** Compares two hex digests of equal length in constant time; false when lengths differ. */
export function hexDigestsEqual(a: string, b: string): boolean {
  const left = Buffer.from(a, "hex");
  const right = Buffer.from(b, "hex");
  return left.length === right.length && left.length > 0 && timingSafeEqual(left, right);
}
