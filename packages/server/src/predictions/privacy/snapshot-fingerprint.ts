import { createHash } from "node:crypto";
import { endianness } from "node:os";
import { SKETCH_METRICS } from "../../aggregation/sketch-metrics.js";
import type { InstanceAggregate } from "../../aggregation/instance-aggregate.js";

const BIG_ENDIAN_HOST = endianness() === "BE";

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
  // The ids as one JSON array, then one run of float64s (per instance the seven counts and sums;
  // per metric its bin count, then bin and count pairs in bin order), little-endian: a canonical
  // layout hashed in three calls per snapshot (a call per instance cost more than the hashing).
  let size = 0;
  for (const instance of sorted) {
    size += 7;
    for (const metric of SKETCH_METRICS) size += 1 + 2 * instance.bins[metric].size;
  }
  const values = new Float64Array(size);
  let at = 0;
  for (const instance of sorted) {
    values[at++] = instance.events;
    values[at++] = instance.sumEstimatedInputTokens;
    values[at++] = instance.sumActualInputTokens;
    values[at++] = instance.sumEstimatedOutputTokens;
    values[at++] = instance.sumActualOutputTokens;
    values[at++] = instance.gatePassed;
    values[at++] = instance.successes;
    for (const metric of SKETCH_METRICS) at = writeBins(values, at, instance.bins[metric]);
  }
  const bytes = Buffer.from(values.buffer, 0, at * 8);
  // Float64Array writes in the host's byte order: the layout is little-endian on every host.
  if (BIG_ENDIAN_HOST) bytes.swap64();
  return createHash("sha256")
    .update("mosaic-snapshot-fingerprint-v2\n")
    .update(JSON.stringify(sorted.map((instance) => instance.instanceId)))
    .update(bytes)
    .digest();
}

/** Writes a sketch's bins with a count above 0 (their number, then bin and count pairs in bin order) from `at`; returns the next index. */
function writeBins(values: Float64Array, at: number, bins: ReadonlyMap<number, number>): number {
  const countAt = at++;
  let previous = -Infinity;
  let ordered = true;
  // forEach, not for-of: a stored sketch (aggregation/sketch-bins.ts) walks its bytes without an iterator.
  bins.forEach((count, bin) => {
    if (count <= 0) return;
    if (bin < previous) ordered = false;
    previous = bin;
    values[at++] = bin;
    values[at++] = count;
  });
  const written = (at - countAt - 1) / 2;
  values[countAt] = written;
  if (!ordered) {
    // Sketches come from storage in bin order; a Map built in another order is sorted here.
    const pairs = Array.from({ length: written }, (_, i) => [values[countAt + 1 + 2 * i] as number, values[countAt + 2 + 2 * i] as number] as const).sort(([a], [b]) => a - b);
    pairs.forEach(([bin, count], i) => {
      values[countAt + 1 + 2 * i] = bin;
      values[countAt + 2 + 2 * i] = count;
    });
  }
  return at;
}
