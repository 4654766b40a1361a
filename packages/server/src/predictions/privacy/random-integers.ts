import { createCipheriv, createHmac } from "node:crypto";

/**
 * Uniform random integers, the only randomness the privacy mechanisms use: every noise draw is
 * built from integers (discrete-laplace.ts), never from a floating-point uniform, so the output
 * has no floating-point artefacts to exploit (Mironov, "On significance of the least significant
 * bits for differential privacy", CCS 2012).
 */
export interface RandomIntegers {
  /** A uniform integer in [0, bound); bound is a positive safe integer. */
  below(bound: number): number;
  /**
   * An independent stream for one released statistic, so each statistic's noise does not depend
   * on how many draws the others took (each stream forks by label).
   */
  fork(label: string): RandomIntegers;
}

/**
 * Keystream bytes produced per refill: 680 draws of 48 bits (one metric's histogram takes a few
 * thousand); each refill is a call into the cipher, which costs more than the bytes it makes.
 */
const KEYSTREAM_CHUNK = new Uint8Array(4_080);
/** CTR's initial counter block; each stream has a key of its own, so one fixed block is safe. */
const ZERO_IV = new Uint8Array(16);

/**
 * A deterministic stream of uniform integers under a 32-byte `key`: the AES-256-CTR keystream
 * (the construction of NIST SP 800-90A's CTR_DRBG, without its reseeding), read 48 bits at a
 * time, under the cipher key HMAC-SHA-256(key, "stream"). Without the key the stream can be neither
 * predicted nor told from random. A fork's key is HMAC-SHA-256(key, "fork" | label), so each
 * released statistic reads a stream of its own.
 * AES rather than an HMAC per 32-byte block: one cipher per stream made the noise of a refresh of
 * every group about 4x cheaper than an HMAC per block (docs/benchmarks/server-predictions.md).
 */
export function keystreamRandomIntegers(key: Uint8Array): RandomIntegers {
  // The cipher's key is derived from `key` apart from the forks' keys: one key, one use.
  const cipher = createCipheriv("aes-256-ctr", createHmac("sha256", key).update("stream").digest(), ZERO_IV);
  let block: Buffer = Buffer.alloc(0);
  let offset = 0;
  const nextUint48 = (): number => {
    if (offset + 6 > block.length) {
      block = cipher.update(KEYSTREAM_CHUNK);
      offset = 0;
    }
    const value = uint48At(block, offset);
    offset += 6;
    return value;
  };
  return {
    below: uniformBelow(nextUint48),
    fork: (label) => keystreamRandomIntegers(createHmac("sha256", key).update("fork\0").update(label).digest()),
  };
}

const RANGE = 2 ** 48;

/** The big-endian 48-bit integer at `at` (Buffer.readUIntBE(at, 6) without its checks: the callers keep `at` in range). */
function uint48At(bytes: Uint8Array, at: number): number {
  const high = ((bytes[at] as number) << 8) | (bytes[at + 1] as number);
  const low = (((bytes[at + 2] as number) << 24) | ((bytes[at + 3] as number) << 16) | ((bytes[at + 4] as number) << 8) | (bytes[at + 5] as number)) >>> 0;
  return high * 4_294_967_296 + low;
}

/** `below(bound)` from a source of uniform 48-bit integers (rejection sampling, no modulo bias). */
export function uniformBelow(nextUint48: () => number): (bound: number) => number {
  return (bound) => {
    checkBound(bound);
    if (bound === 1) return 0;
    // Largest multiple of bound within 2^48: values at or above it are redrawn (no modulo bias).
    const limit = RANGE - remainder(RANGE, bound);
    for (;;) {
      const value = nextUint48();
      if (value < limit) return remainder(value, bound);
    }
  };
}

/**
 * value % bound for integers 0 <= value <= 2^48 and 2 <= bound <= 2^47, without `%`: on numbers
 * past 2^31 V8's `%` is a call to fmod, and a noise draw takes about ten of these (a sixth of a
 * refresh of every group). Exact: value / bound is rounded by less than half a unit in its last
 * place, under 2^-5 / bound, and a quotient that is not whole is at least 1 / bound from the
 * next whole number, so the floor is the true quotient; the product and difference are integers
 * below 2^49, exact in a double.
 */
function remainder(value: number, bound: number): number {
  return value - Math.floor(value / bound) * bound;
}

function checkBound(bound: number): void {
  if (!(bound >= 1 && bound <= MAX_BOUND && Math.floor(bound) === bound)) throw new RangeError(`bound must be an integer in [1, 2^47], got ${bound}`);
}

const MAX_BOUND = 2 ** 47;
