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
 * The bin of each lower q-quantile of one sketch given as two comma-separated lists of decimal
 * integers, its bins and their counts in the same order (any order of bins), by the rule of
 * quantileFromBins: with n values, the bin where the running count in ascending bin order first
 * exceeds floor(q * (n - 1)); a zero count never does. Parsed by hand in one pass per list into
 * arrays of small integers, so a sketch of hundreds of bins allocates no object per bin.
 * Null when empty.
 */
export function quantileBinsOfLists(binList: string, countList: string, quantiles: readonly number[]): (number | null)[] {
  const bins = parseIntegers(binList);
  const counts = parseIntegers(countList);
  let n = 0;
  let sorted = true;
  for (let i = 0; i < counts.length; i += 1) {
    // Counts only grow, so none is below 1; a non-positive one is left out, as PostgreSQL's read does.
    n += Math.max(0, counts[i] as number);
    if (i > 0 && (bins[i] as number) <= (bins[i - 1] as number)) sorted = false;
  }
  // SQLite hands the bins over in primary-key order; any other order is sorted here.
  const order = sorted ? null : bins.map((_, i) => i).sort((a, b) => (bins[a] as number) - (bins[b] as number));
  return quantiles.map((q) => {
    if (n === 0) return null;
    const rank = Math.floor(q * (n - 1));
    let through = 0;
    for (let k = 0; k < counts.length; k += 1) {
      const i = order === null ? k : (order[k] as number);
      through += Math.max(0, counts[i] as number);
      if (through > rank) return bins[i] as number;
    }
    return null;
  });
}

const COMMA = 44;
const MINUS = 45;
const ZERO = 48;

/** The comma-separated decimal integers of `text`, in order (none for ""). */
function parseIntegers(text: string): number[] {
  const values: number[] = [];
  if (text.length === 0) return values;
  let value = 0;
  let negative = false;
  for (let i = 0; i <= text.length; i += 1) {
    const code = i < text.length ? text.charCodeAt(i) : COMMA;
    if (code === COMMA) {
      values.push(negative ? -value : value);
      value = 0;
      negative = false;
    } else if (code === MINUS) {
      negative = true;
    } else {
      value = value * 10 + (code - ZERO);
    }
  }
  return values;
}
