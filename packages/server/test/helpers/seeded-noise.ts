import { createHash } from "node:crypto";
import { uniformBelow, type RandomIntegers } from "../../src/predictions/privacy/random-integers.js";
import type { SnapshotNoise } from "../../src/predictions/privacy/snapshot-settings.js";

/**
 * Deterministic noise for tests: the same seed gives the same draws on every engine and every
 * run, so a test's answers do not hang on the random ids it makes. The server never uses these;
 * its noise is keyed (keyed-noise.ts).
 */

/**
 * A deterministic stream of uniform integers from `seed`: SHA-256 of seed and a counter, 32 bytes
 * per block, read 48 bits at a time and turned into integers by the server's own rejection
 * sampling (uniformBelow), so every value below a bound is exactly equally likely.
 */
export function seededRandomIntegers(seed: string): RandomIntegers {
  let counter = 0;
  let block = Buffer.alloc(0);
  let offset = 0;
  const nextUint48 = (): number => {
    if (offset + 6 > block.length) {
      block = createHash("sha256").update(seed).update(":").update(String(counter++)).digest();
      offset = 0;
    }
    const value = block.readUIntBE(offset, 6);
    offset += 6;
    return value;
  };
  return { fork: (label) => seededRandomIntegers(`${seed}/${label}`), below: uniformBelow(nextUint48) };
}

/** A snapshot noise source per (group, snapshot time) from one seed: same seed, same answers, on every engine. */
export function seededSnapshotNoise(seed: string): SnapshotNoise {
  return (_instances, key, at) => seededRandomIntegers(`${seed}|${key}|${at.toISOString()}`);
}
