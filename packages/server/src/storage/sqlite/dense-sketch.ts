import { ZERO_BIN } from "../../aggregation/sketch-mapping.js";

/**
 * How SQLite stores one sketch of a (group, instance) aggregate: a single BLOB of little-endian float64s,
 * [first bin, zero count, count of the first bin, count of the next bin, ...], dense from the
 * lowest to the highest bin that holds a value. Why one row per sketch and not one per bin: a
 * predictions read runs SQLite's per-row step in our process, and at 1 M stored events the
 * answering groups' sketches held 39 k bin rows, so the read grew with the data; a sketch is now
 * one row whatever its size (docs/decisions/0001-storage.md). The bins of values 1 to 2^53 span
 * about 1,850 indexes, so a blob stays under 15 KB (a row of a WITHOUT ROWID table keeps ~4 KB on
 * its 16 KiB page and continues on an overflow page).
 *
 * float64 counts are exact up to 2^53 events; zeros (ZERO_BIN) sit in the header, not in the
 * dense range, because their index is far below every value's bin.
 */
export interface DenseSketch {
  /** The bin of counts[0]; 0 when counts is empty. */
  firstBin: number;
  zeroCount: number;
  counts: Float64Array;
}

const HEADER = 2;
const BYTES = 8;

/**
 * The BLOB of (bin, count) pairs; a bin may repeat (its counts add up). Written straight into a
 * zero-filled Buffer: an ingest builds one per touched (group, metric) per transaction.
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

/**
 * The sum of two sketch BLOBs: what merging their values gives. Computed on the bytes, because
 * an ingest merges into the stored sketch at every upsert: the stored counts are copied as they
 * are (one memcpy, however wide) and only the added sketch's non-zero counts are read and added.
 */
export function addSketchBlobs(stored: Uint8Array, added: Uint8Array): Buffer {
  const a = headerOf(stored);
  const b = headerOf(added);
  const [firstBin, end] =
    a.width === 0
      ? [b.firstBin, b.firstBin + b.width]
      : b.width === 0
        ? [a.firstBin, a.firstBin + a.width]
        : [Math.min(a.firstBin, b.firstBin), Math.max(a.firstBin + a.width, b.firstBin + b.width)];
  const sum = Buffer.alloc((HEADER + end - firstBin) * BYTES);
  sum.writeDoubleLE(firstBin, 0);
  sum.writeDoubleLE(a.zeroCount + b.zeroCount, BYTES);
  if (a.width > 0) sum.set(a.bytes.subarray(HEADER * BYTES), (HEADER + a.firstBin - firstBin) * BYTES);
  for (let i = 0; i < b.width; i += 1) {
    const count = b.bytes.readDoubleLE((HEADER + i) * BYTES);
    if (count !== 0) addAt(sum, (HEADER + b.firstBin - firstBin + i) * BYTES, count);
  }
  return sum;
}

function addAt(blob: Buffer, offset: number, count: number): void {
  blob.writeDoubleLE(blob.readDoubleLE(offset) + count, offset);
}

/** Beyond the bin of 2^53 (about 1,850) and of any value above 0 a sketch can hold. */
const MAX_BIN = 10_000;

/** A BLOB's header and the number of bins it holds; RangeError when the bytes cannot be a sketch. */
function headerOf(blob: Uint8Array): { bytes: Buffer; firstBin: number; zeroCount: number; width: number } {
  if (blob.length < HEADER * BYTES || blob.length % BYTES !== 0) {
    throw new RangeError(`a stored sketch has ${blob.length} bytes, not a multiple of ${BYTES} of at least ${HEADER * BYTES}`);
  }
  const bytes = Buffer.from(blob.buffer, blob.byteOffset, blob.length);
  const firstBin = bytes.readDoubleLE(0);
  // A damaged first bin (NaN, or far from every value's bin) would size the merged BLOB from it.
  if (!Number.isSafeInteger(firstBin) || Math.abs(firstBin) > MAX_BIN) throw new RangeError(`a stored sketch starts at bin ${firstBin}`);
  return { bytes, firstBin, zeroCount: bytes.readDoubleLE(BYTES), width: blob.length / BYTES - HEADER };
}

/** Throws RangeError for bytes that are not a sketch (never written by us: a damaged file). */
export function decodeSketch(blob: Uint8Array): DenseSketch {
  const { bytes, firstBin, zeroCount, width } = headerOf(blob);
  // Read one by one, not a Float64Array over the bytes: the driver's Buffer need not be 8-byte
  // aligned, and the file stays little-endian whatever the host.
  const counts = new Float64Array(width);
  for (let i = 0; i < width; i += 1) counts[i] = bytes.readDoubleLE((HEADER + i) * BYTES);
  return { firstBin, zeroCount, counts };
}

/** Bin index to count, for the bins that hold a value. */
export function binsOfSketch({ firstBin, zeroCount, counts }: DenseSketch): Map<number, number> {
  const bins = new Map<number, number>();
  if (zeroCount > 0) bins.set(ZERO_BIN, zeroCount);
  counts.forEach((count, i) => {
    if (count > 0) bins.set(firstBin + i, count);
  });
  return bins;
}
