import { createHmac } from "node:crypto";
import type { InstanceAggregate } from "../../aggregation/instance-aggregate.js";
import { keystreamRandomIntegers, type RandomIntegers } from "./random-integers.js";
import { snapshotFingerprint } from "./snapshot-fingerprint.js";

/**
 * Keyed noise: a snapshot's noise derived from (server key, mechanism settings, snapshot window,
 * fingerprint of its input data) instead of drawn fresh. Within one window (the snapshot interval
 * the snapshot is computed in), identical data gives identical noise at every fallback level and
 * in every process, so an attacker cannot average independent draws of the same data (a group
 * whose only child holds all its events answers at two levels with the same draw). Each window
 * draws afresh, so an unchanged group's answer still changes from interval to interval: identical
 * answers would tell everyone that nobody reported (docs/predictions.md, "Keyed noise"). The
 * settings are in the key, so a changed ε or minimum never reuses a draw on other weights.
 * Without the key the noise cannot be predicted or subtracted (HMAC-SHA-256 is a pseudo-random
 * function of its key).
 *
 * The snapshot key is HMAC-SHA-256(key, settings | window | fingerprint); its stream is the
 * keystream of random-integers.ts (AES-256-CTR, forks keyed by HMAC of their labels), so each
 * released statistic's noise is its own stream, as with the seeded source.
 */

/** Fewer key bytes than this are refused: the key is all that keeps the noise unpredictable. */
export const MIN_SECRET_BYTES = 32;

/** The noise source of a snapshot from its input and window (whole snapshot intervals since the epoch). */
export type KeyedNoise = (instances: readonly InstanceAggregate[], window: number) => RandomIntegers;

/** The noise source of every snapshot under the server's key, for mechanism settings `settings` (any stable text naming them). */
export function keyedSnapshotNoise(secret: Uint8Array, settings = ""): KeyedNoise {
  if (secret.length < MIN_SECRET_BYTES) throw new RangeError(`the prediction noise secret needs at least ${MIN_SECRET_BYTES} bytes, got ${secret.length}`);
  const key = Buffer.from(secret);
  const context = Buffer.from(`${JSON.stringify(settings)}\n`, "utf8");
  return (instances, window) => {
    if (!Number.isSafeInteger(window)) throw new RangeError(`a snapshot window is a whole number, got ${window}`);
    return keystreamRandomIntegers(
      createHmac("sha256", key).update(context).update(`${window}\n`).update(snapshotFingerprint(instances)).digest(),
    );
  };
}
