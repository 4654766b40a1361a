import { createHash } from "node:crypto";
import { SKETCH_METRICS } from "../../aggregation/sketch-metrics.js";
import type { InstanceAggregate } from "../../aggregation/instance-aggregate.js";

/**
 * The fingerprint of a crowd snapshot's input: SHA-256 of the contributing instances'
 * aggregates, sorted by instance id (id, events, the four token sums, gate passes, successes,
 * and each metric's sketch bins in bin order). Not the group key and not the time: the same data
 * has the same fingerprint at every fallback level and in every interval, and any change of the
 * data (one more event, one bin moved) gives another. `lastUpdated` is left out (it is a time).
 * Instances without events are left out, as the snapshot leaves them out.
 */
export function snapshotFingerprint(instances: readonly InstanceAggregate[]): Buffer {
  const rows = instances
    .filter((instance) => instance.events > 0)
    .sort((a, b) => (a.instanceId < b.instanceId ? -1 : a.instanceId > b.instanceId ? 1 : 0))
    .map((instance) => [
      instance.instanceId,
      instance.events,
      instance.sumEstimatedInputTokens,
      instance.sumActualInputTokens,
      instance.sumEstimatedOutputTokens,
      instance.sumActualOutputTokens,
      instance.gatePassed,
      instance.successes,
      SKETCH_METRICS.map((metric) => [...instance.bins[metric].entries()].filter(([, count]) => count > 0).sort(([a], [b]) => a - b)),
    ]);
  // JSON of arrays is a canonical encoding here: ids are strings, every other field a number.
  return createHash("sha256").update("mosaic-snapshot-fingerprint-v1\n").update(JSON.stringify(rows)).digest();
}
