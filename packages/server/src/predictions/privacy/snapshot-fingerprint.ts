import { createHash } from "node:crypto";
import { SKETCH_METRICS } from "../../aggregation/sketch-metrics.js";
import type { InstanceAggregate } from "../../aggregation/instance-aggregate.js";
import { SKETCH_ENTRY_BYTES, SketchBins } from "../../aggregation/sketch-bins.js";

/**
 * The fingerprint of a crowd snapshot's input: SHA-256 of the contributing instances'
 * aggregates, sorted by instance id (id, events, the four token sums, gate passes, successes,
 * and each metric's sketch bins in bin order). Not the group key and not the time: the same data
 * has the same fingerprint at every fallback level and in every interval, and any change of the
 * data (one more event, one bin moved) gives another. `lastUpdated` is left out (it is a time).
 * Instances without events are left out, as the snapshot leaves them out.
 */
export function snapshotFingerprint(instances: readonly InstanceAggregate[]): Buffer {
  const sorted = instances.filter((instance) => instance.events > 0).sort((a, b) => (a.instanceId < b.instanceId ? -1 : a.instanceId > b.instanceId ? 1 : 0));
  // The ids as one JSON array, then one run of bytes, little-endian: per instance the seven counts
  // and sums as float64s, per metric its entry count (uint32) and its entries as the sketches are
  // stored (int32 bin, float64 count; ascending, counts above 0). A stored sketch is copied as it
  // is; hashed in three calls per snapshot (a call per instance cost more than the hashing).
  let size = 0;
  for (const instance of sorted) {
    size += SUMS * 8;
    for (const metric of SKETCH_METRICS) size += 4 + instance.bins[metric].size * SKETCH_ENTRY_BYTES;
  }
  const bytes = Buffer.alloc(size);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.length);
  let at = 0;
  for (const instance of sorted) {
    for (const value of [
      instance.events,
      instance.sumEstimatedInputTokens,
      instance.sumActualInputTokens,
      instance.sumEstimatedOutputTokens,
      instance.sumActualOutputTokens,
      instance.gatePassed,
      instance.successes,
    ]) {
      view.setFloat64(at, value, true);
      at += 8;
    }
    for (const metric of SKETCH_METRICS) at = writeSketch(view, at, instance.bins[metric]);
  }
  return createHash("sha256")
    .update("mosaic-snapshot-fingerprint-v3\n")
    .update(JSON.stringify(sorted.map((instance) => instance.instanceId)))
    .update(bytes.subarray(0, at))
    .digest();
}

/** The counts and sums written per instance. */
const SUMS = 7;

/** Writes a sketch's entry count and its entries with a count above 0, in bin order, from byte `at`; returns the byte after. */
function writeSketch(view: DataView, at: number, bins: ReadonlyMap<number, number>): number {
  const countAt = at;
  if (bins instanceof SketchBins) {
    // Stored sketches are in bin order with no zero counts (sparse-sketch.ts, sketch-bytes.ts): their entries as they are.
    view.setUint32(countAt, bins.size, true);
    return bins.writeLittleEndian(view, at + 4);
  }
  // A Map (a test's, or a fold's): its positive counts, sorted.
  const entries = [...bins].filter(([, count]) => count > 0).sort(([a], [b]) => a - b);
  view.setUint32(countAt, entries.length, true);
  at += 4;
  for (const [bin, count] of entries) {
    view.setInt32(at, bin, true);
    view.setFloat64(at + 4, count, true);
    at += SKETCH_ENTRY_BYTES;
  }
  return at;
}
