/**
 * The one rank rule of a lower q-quantile over n values sorted ascending: the value at 0-based
 * rank floor(q * (n - 1)). Over sketch bins, the quantile is the bin where the running count in
 * ascending bin order first exceeds that rank.
 *
 * Two walks apply it in JS: predictions/quantiles.ts over a Map of bins, and SQLite's
 * storage/sqlite/dense-sketch.ts over a dense sketch (no Map built per read). PostgreSQL applies
 * it in SQL (storage/postgres/postgres-sql.ts, READ_QUANTILE_BINS), so only the bins come back:
 * there q is float8 and n - 1 is cast to float8, so the product is the same double as here.
 */
export function quantileRank(q: number, n: number): number {
  return Math.floor(q * (n - 1));
}
