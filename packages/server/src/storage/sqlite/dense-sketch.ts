import { ZERO_BIN } from "../../aggregation/sketch-mapping.js";

/**
 * The dense sketch BLOB SQLite kept per (group, metric) from migration 2 to 5: little-endian
 * float64s [first bin, zero count, count of the first bin, count of the next bin, ...], dense from
 * the lowest to the highest bin that holds a value. Only migration 2 still builds one (the
 * sketch_of_bins aggregate, on a database from before it); migration 6 drops that table, and the
 * aggregates read today keep sparse sketches (sparse-sketch.ts). float64 counts are exact up to
 * 2^53 events; zeros (ZERO_BIN) sit in the header, far below every value's bin.
 */
const HEADER = 2;
const BYTES = 8;

/**
 * The BLOB of (bin, count) pairs; a bin may repeat (its counts add up).
 */
export function sketchBlobOfBins(bins: Iterable<readonly [bin: number, count: number]>): Buffer {
  let zeroCount = 0;
  let low = Infinity;
  let high = -Infinity;
  const pairs: (readonly [number, number])[] = [];
  for (const pair of bins) {
    const [bin, count] = pair;
    if (bin === ZERO_BIN) {
      zeroCount += count;
      continue;
    }
    pairs.push(pair);
    if (bin < low) low = bin;
    if (bin > high) high = bin;
  }
  const firstBin = pairs.length === 0 ? 0 : low;
  const blob = Buffer.alloc((HEADER + (pairs.length === 0 ? 0 : high - low + 1)) * BYTES);
  blob.writeDoubleLE(firstBin, 0);
  blob.writeDoubleLE(zeroCount, BYTES);
  for (const [bin, count] of pairs) addAt(blob, (HEADER + bin - firstBin) * BYTES, count);
  return blob;
}

function addAt(blob: Buffer, offset: number, count: number): void {
  blob.writeDoubleLE(blob.readDoubleLE(offset) + count, offset);
}
