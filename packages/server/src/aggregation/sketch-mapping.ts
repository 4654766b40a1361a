/**
 * The DDSketch index mapping at 1 % relative accuracy (Masson, Rim, Lee: "DDSketch", VLDB 2019).
 * A value v > 0 falls in bin i = ceil(log_gamma(v)) with gamma = (1 + a) / (1 - a); every value of
 * bin i lies in (gamma^(i-1), gamma^i], so answering a quantile with 2 gamma^i / (gamma + 1) is
 * within a of the true value. The metrics are integers >= 0, so 0 gets a bin of its own.
 *
 * Storage calls `sketchBin` at ingest and keeps only bin counts, which merge by addition: rows of
 * (bin, count) in PostgreSQL, one dense BLOB per sketch in SQLite (storage/sqlite/dense-sketch.ts).
 * Written here rather than taken from a library because the bins must be stored in SQL and updated
 * additively; a library's in-memory sketch and its serialisation would sit in between.
 */

export const RELATIVE_ACCURACY = 0.01;
export const GAMMA = (1 + RELATIVE_ACCURACY) / (1 - RELATIVE_ACCURACY);
const LOG_GAMMA = Math.log(GAMMA);

/** The bin that holds exact zeros. */
export const ZERO_BIN = -1_000_000;

/** The bin of a value >= 0. */
export function sketchBin(value: number): number {
  if (value <= 0) return ZERO_BIN;
  return Math.ceil(Math.log(value) / LOG_GAMMA);
}

/** The value that represents a bin: within RELATIVE_ACCURACY of every value in it. */
export function binValue(bin: number): number {
  if (bin === ZERO_BIN) return 0;
  return (2 * Math.pow(GAMMA, bin)) / (GAMMA + 1);
}
