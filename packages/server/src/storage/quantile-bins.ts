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
 * the running count in ascending bin order first exceeds floor(q * (n - 1)). Parsed by hand into
 * typed arrays, so a sketch of hundreds of bins allocates no object per bin. Null when empty.
 */
export function quantileBinsOfList(list: string, quantiles: readonly number[]): (number | null)[] {
  const pairs = parseIntegers(list);
  const size = pairs.length >> 1;
  const order = Array.from({ length: size }, (_, i) => i);
  let sorted = true;
  for (let i = 1; i < size && sorted; i += 1) sorted = (pairs[2 * i - 2] as number) < (pairs[2 * i] as number);
  if (!sorted) order.sort((a, b) => (pairs[2 * a] as number) - (pairs[2 * b] as number));
  let n = 0;
  for (let i = 0; i < size; i += 1) n += pairs[2 * i + 1] as number;
  return quantiles.map((q) => {
    if (n === 0) return null;
    const rank = Math.floor(q * (n - 1));
    let through = 0;
    for (const i of order) {
      through += pairs[2 * i + 1] as number;
      if (through > rank) return pairs[2 * i] as number;
    }
    return null;
  });
}

/** The space-separated decimal integers of `text`, in order. */
function parseIntegers(text: string): Float64Array {
  let count = 0;
  for (let i = 0; i < text.length; i += 1) if (text.charCodeAt(i) === 32) count += 1;
  const values = new Float64Array(text.length === 0 ? 0 : count + 1);
  let index = 0;
  let value = 0;
  let negative = false;
  for (let i = 0; i <= text.length; i += 1) {
    const code = i < text.length ? text.charCodeAt(i) : 32;
    if (code === 32) {
      values[index] = negative ? -value : value;
      index += 1;
      value = 0;
      negative = false;
    } else if (code === 45) {
      negative = true;
    } else {
      value = value * 10 + (code - 48);
    }
  }
  return values;
}
