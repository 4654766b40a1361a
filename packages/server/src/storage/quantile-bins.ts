import { SKETCH_METRICS, type QuantileBins, type SketchMetric } from "./storage.js";

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

/**
 * The bin of each lower q-quantile of one sketch given as "bin count bin count ..." (decimal
 * integers, counts > 0, any order), by the rule of quantileFromBins: with n values, the bin where
 * the running count in ascending bin order first exceeds floor(q * (n - 1)). Parsed by hand in one
 * pass into two arrays of small integers, so a sketch of hundreds of bins allocates no object
 * per bin (3x faster than a parse into typed arrays, measured). Null when empty.
 */
export function quantileBinsOfList(list: string, quantiles: readonly number[]): (number | null)[] {
  const bins: number[] = [];
  const counts: number[] = [];
  let n = 0;
  let sorted = true;
  let value = 0;
  let negative = false;
  let isCount = false;
  const length = list.length;
  for (let i = 0; i <= length && length > 0; i += 1) {
    const code = i < length ? list.charCodeAt(i) : SPACE;
    if (code === SPACE) {
      const number = negative ? -value : value;
      if (isCount) {
        counts.push(number);
        n += number;
      } else {
        if (bins.length > 0 && number <= (bins[bins.length - 1] as number)) sorted = false;
        bins.push(number);
      }
      isCount = !isCount;
      value = 0;
      negative = false;
    } else if (code === MINUS) {
      negative = true;
    } else {
      value = value * 10 + (code - ZERO);
    }
  }
  // SQLite hands the bins over in primary-key order; any other order is sorted here.
  const order = sorted ? null : bins.map((_, i) => i).sort((a, b) => (bins[a] as number) - (bins[b] as number));
  return quantiles.map((q) => {
    if (n === 0) return null;
    const rank = Math.floor(q * (n - 1));
    let through = 0;
    for (let k = 0; k < counts.length; k += 1) {
      const i = order === null ? k : (order[k] as number);
      through += counts[i] as number;
      if (through > rank) return bins[i] as number;
    }
    return null;
  });
}

const SPACE = 32;
const MINUS = 45;
const ZERO = 48;
