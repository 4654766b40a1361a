import { SKETCH_ENTRY_BYTES, SketchBins } from "../../aggregation/sketch-bins.js";

/**
 * How SQLite stores one sketch of a (group, instance) aggregate: a BLOB of 12-byte entries, each a
 * little-endian int32 bin (sketch-mapping.ts; ZERO_BIN included) and a float64 count, ascending by
 * bin, no zero counts. Sparse, not dense (dense-sketch.ts), because one instance's sketch in one
 * group holds few bins spread over a wide range: at 1 M events a dense row averaged 586 bytes for
 * about 7 bins, and the read of every aggregate spent most of its time on those bytes
 * (docs/decisions/0011-instance-aggregates.md). float64 counts are exact up to 2^53 events.
 */

const ENTRY = SKETCH_ENTRY_BYTES;

/** The BLOB of a bin -> count map (entries sorted here). */
export function sparseSketchOfBins(bins: ReadonlyMap<number, number>): Buffer {
  const ordered = [...bins.keys()].filter((bin) => (bins.get(bin) as number) !== 0).sort((a, b) => a - b);
  const blob = Buffer.allocUnsafe(ordered.length * ENTRY);
  ordered.forEach((bin, i) => {
    blob.writeInt32LE(bin, i * ENTRY);
    blob.writeDoubleLE(bins.get(bin) as number, i * ENTRY + 4);
  });
  return blob;
}

function viewOf(blob: Uint8Array): DataView {
  if (blob.length % ENTRY !== 0) throw new RangeError(`a stored sketch has ${blob.length} bytes, not a multiple of ${ENTRY}`);
  return new DataView(blob.buffer, blob.byteOffset, blob.length);
}

/** The sum of two sketch BLOBs: one merge of their sorted entries (what sketch_add runs at every upsert). */
export function addSparseSketches(stored: Uint8Array, added: Uint8Array): Buffer {
  const a = viewOf(stored);
  const b = viewOf(added);
  const [na, nb] = [stored.length / ENTRY, added.length / ENTRY];
  const sum = Buffer.allocUnsafe((na + nb) * ENTRY);
  let i = 0;
  let j = 0;
  let k = 0;
  while (i < na || j < nb) {
    const binA = i < na ? a.getInt32(i * ENTRY, true) : Infinity;
    const binB = j < nb ? b.getInt32(j * ENTRY, true) : Infinity;
    let bin: number;
    let count = 0;
    if (binA <= binB) {
      bin = binA;
      count += a.getFloat64(i * ENTRY + 4, true);
      i += 1;
    } else bin = binB;
    if (binB === bin) {
      count += b.getFloat64(j * ENTRY + 4, true);
      j += 1;
    }
    sum.writeInt32LE(bin, k * ENTRY);
    sum.writeDoubleLE(count, k * ENTRY + 4);
    k += 1;
  }
  return sum.subarray(0, k * ENTRY);
}

/** The bins of a sketch BLOB (or of the part of `blob` from `start` to `end`), read in place; RangeError for bytes that cannot be one (a damaged file). */
export function sparseSketchBins(blob: Uint8Array | DataView, start = 0, end = blob.byteLength): SketchBins {
  return new SketchBins(blob, true, start, end);
}
