import { SKETCH_ENTRY_BYTES, SketchBins } from "../../aggregation/sketch-bins.js";

/**
 * A sketch as PostgreSQL keeps it in an aggregate row (migration 8): a bytea of 12-byte entries,
 * each a big-endian int32 bin (aggregation/sketch-mapping.ts) and a big-endian float64 count,
 * ascending by bin, no zero counts. SQLite's BLOB (sqlite/sparse-sketch.ts) is the same but
 * little-endian; big-endian here because that is what PostgreSQL's int4send and float8send write,
 * which is how migration 8 builds these bytes from the bin rows. float64 counts are exact up to
 * 2^53 events. A bytea, not two arrays: node-postgres reads and writes it as hex, natively, where
 * an array's text is parsed character by character in JS (several times the cost at ingest).
 */

const ENTRY = SKETCH_ENTRY_BYTES;

/**
 * The stored sketch plus a change (bin -> events gained). A change holds few bins and a stored
 * sketch may hold hundreds, so each gained bin is found by binary search and the stored entries
 * between are copied as they are, not decoded and written again.
 */
export function addToSketchBytes(stored: Uint8Array, added: ReadonlyMap<number, number>): Buffer {
  if (stored.length % ENTRY !== 0) throw new RangeError(`a stored sketch has ${stored.length} bytes, not a multiple of ${ENTRY}`);
  const view = new DataView(stored.buffer, stored.byteOffset, stored.length);
  const n = stored.length / ENTRY;
  const sum = Buffer.allocUnsafe(stored.length + added.size * ENTRY);
  let i = 0;
  let k = 0;
  for (const bin of [...added.keys()].sort((a, b) => a - b)) {
    // The first stored entry at or after i whose bin is >= this one.
    let low = i;
    let high = n;
    while (low < high) {
      const middle = (low + high) >>> 1;
      if (view.getInt32(middle * ENTRY) < bin) low = middle + 1;
      else high = middle;
    }
    sum.set(stored.subarray(i * ENTRY, low * ENTRY), k);
    k += (low - i) * ENTRY;
    i = low;
    let count = added.get(bin) as number;
    if (i < n && view.getInt32(i * ENTRY) === bin) count += view.getFloat64(i++ * ENTRY + 4);
    sum.writeInt32BE(bin, k);
    sum.writeDoubleBE(count, k + 4);
    k += ENTRY;
  }
  sum.set(stored.subarray(i * ENTRY), k);
  k += stored.length - i * ENTRY;
  return sum.subarray(0, k);
}

/** The bins of a stored sketch, read in place; RangeError for bytes that cannot be one. */
export function binsOfSketchBytes(bytes: Uint8Array | null): SketchBins {
  return new SketchBins(bytes ?? EMPTY, false);
}

const EMPTY = new Uint8Array(0);
