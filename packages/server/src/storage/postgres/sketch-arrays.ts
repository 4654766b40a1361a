/**
 * A sketch as PostgreSQL keeps it in an aggregate row (migration 8): ascending bins
 * (aggregation/sketch-mapping.ts) in an integer[] and their counts, aligned, in a bigint[]
 * (node-postgres reads bigint as a string). The counts of one sketch never reach 2^53.
 */
export interface SketchArrays {
  bins: number[];
  counts: number[];
}

/** The stored sketch plus a change (bin -> events gained): one merge of two ascending lists. */
export function addToSketch(bins: readonly number[], counts: readonly (string | number)[], added: ReadonlyMap<number, number>): SketchArrays {
  const addedBins = [...added.keys()].sort((a, b) => a - b);
  const sum: SketchArrays = { bins: [], counts: [] };
  let i = 0;
  let j = 0;
  while (i < bins.length || j < addedBins.length) {
    const stored = i < bins.length ? (bins[i] as number) : Infinity;
    const gained = j < addedBins.length ? (addedBins[j] as number) : Infinity;
    const bin = Math.min(stored, gained);
    let count = 0;
    if (stored === bin) count += Number(counts[i++]);
    if (gained === bin) count += added.get(addedBins[j++] as number) as number;
    sum.bins.push(bin);
    sum.counts.push(count);
  }
  return sum;
}

/** PostgreSQL's text form of an array of integers, e.g. '{-1000000,3,17}'. */
export function arrayLiteral(values: readonly number[]): string {
  return `{${values.join(",")}}`;
}

/** Bin -> count of a stored sketch. */
export function binsOfSketchArrays(bins: readonly number[] | null, counts: readonly (string | number)[] | null): Map<number, number> {
  const map = new Map<number, number>();
  if (bins === null || counts === null) return map;
  bins.forEach((bin, i) => map.set(bin, Number(counts[i])));
  return map;
}
