import { coarseBin } from "./noisy-histogram.js";

/**
 * Bins that sketch values up to 2^53 (the largest integer a metric holds) fall in: [0, 1,838).
 * Bins outside (none from validated events) are kept in a Map.
 */
const DENSE_BINS = 2_048;

/**
 * One metric's weight units per sketch bin over a group's instances, as a snapshot adds them up:
 * an array indexed by bin rather than a Map, because a refresh of every group adds ten million
 * instance bins and a Map's updates and garbage were a large share of it
 * (docs/benchmarks/server-predictions.md). Units are integers, so the sums are exact in any order.
 */
export class WeightedBins {
  readonly #dense = new Float64Array(DENSE_BINS);
  /** Bins outside [0, DENSE_BINS), the zero bin among them. */
  readonly #other = new Map<number, number>();

  add(bin: number, units: number): void {
    if (bin >= 0 && bin < DENSE_BINS) this.#dense[bin] = (this.#dense[bin] as number) + units;
    else this.#other.set(bin, (this.#other.get(bin) ?? 0) + units);
  }

  /** Sketch bin -> units, the bins that hold any. */
  fine(): Map<number, number> {
    const fine = new Map(this.#other);
    for (let bin = 0; bin < DENSE_BINS; bin++) {
      const units = this.#dense[bin] as number;
      if (units !== 0) fine.set(bin, units);
    }
    return fine;
  }

  /** Coarse bin (noisy-histogram.ts coarseBin) -> units, the bins that hold any. */
  coarse(): Map<number, number> {
    const coarse = new Map<number, number>();
    const add = (bin: number, units: number): void => {
      const key = coarseBin(bin);
      coarse.set(key, (coarse.get(key) ?? 0) + units);
    };
    for (const [bin, units] of this.#other) add(bin, units);
    for (let bin = 0; bin < DENSE_BINS; bin++) {
      const units = this.#dense[bin] as number;
      if (units !== 0) add(bin, units);
    }
    return coarse;
  }
}
