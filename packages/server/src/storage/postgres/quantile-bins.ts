import { SKETCH_METRICS, type SketchMetric } from "../../aggregation/sketch-metrics.js";
import type { QuantileBins } from "../storage.js";

/** One row of an engine's quantile read: the bin of quantile number `position` of a group's metric. */
export interface QuantileBinRow {
  group_key: string;
  metric: SketchMetric;
  position: number;
  bin: number;
}

/**
 * The rows of a quantile read as QuantileBins per group: every group that has a row gets every
 * metric, with null for a quantile no row answered (a metric without values).
 */
export function quantileBinsOf(groupKeys: readonly string[], quantileCount: number, rows: readonly QuantileBinRow[]): Map<string, QuantileBins> {
  const wanted = new Set(groupKeys);
  const result = new Map<string, QuantileBins>();
  for (const row of rows) {
    if (!wanted.has(row.group_key)) continue;
    let bins = result.get(row.group_key);
    if (!bins) {
      bins = Object.fromEntries(SKETCH_METRICS.map((metric) => [metric, new Array<number | null>(quantileCount).fill(null)])) as QuantileBins;
      result.set(row.group_key, bins);
    }
    const list = bins[row.metric];
    if (list !== undefined && row.position >= 0 && row.position < quantileCount) list[row.position] = row.bin;
  }
  return result;
}
