import { createHmac } from "node:crypto";
import type { InstanceAggregate } from "../../aggregation/instance-aggregate.js";
import { keystreamRandomIntegers, type RandomIntegers } from "./random-integers.js";
import { snapshotFingerprint } from "./snapshot-fingerprint.js";

/**
 * Keyed noise: a snapshot's noise derived from (server secret, fingerprint of its input data)
 * instead of drawn fresh. Identical data gives identical noise at every fallback level and in
 * every interval, so an attacker cannot average independent draws of the same data (a group
 * whose only child holds all its events, or a group nobody reported to for a day); any change
 * of the data gives noise independent of the earlier one. Without the secret the noise cannot
 * be predicted or subtracted (HMAC-SHA-256 is a pseudo-random function of its key).
 *
 * The snapshot key is HMAC-SHA-256(secret, fingerprint); its stream is the keystream of
 * random-integers.ts (AES-256-CTR under that key, forks keyed by HMAC of their labels), so each
 * released statistic's noise is its own stream, as with the seeded source.
 */

/** Fewer secret bytes than this are refused: the secret is all that keeps the noise unpredictable. */
export const MIN_SECRET_BYTES = 32;

/** The noise source of a snapshot, from the server's secret and the snapshot's input. */
export function keyedSnapshotNoise(secret: Uint8Array): (instances: readonly InstanceAggregate[]) => RandomIntegers {
  if (secret.length < MIN_SECRET_BYTES) throw new RangeError(`the prediction noise secret needs at least ${MIN_SECRET_BYTES} bytes, got ${secret.length}`);
  const key = Buffer.from(secret);
  return (instances) => keystreamRandomIntegers(createHmac("sha256", key).update(snapshotFingerprint(instances)).digest());
}
