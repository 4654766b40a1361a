import { sketchBin } from "../../src/aggregation/sketch-mapping.js";
import { quantileFromBins } from "../../src/predictions/quantiles.js";

/**
 * An in-memory DDSketch over the same bins storage keeps (sketch-mapping.ts), for tests and
 * benches: fold values in, merge by adding bin counts, read a lower quantile.
 *
 * @example
 * const sketch = new DDSketch();
 * for (const v of [3, 10, 250]) sketch.add(v);
 * sketch.quantile(0.5); // ≈ 10, within 1 %
 */
export class DDSketch {
  readonly #bins = new Map<number, number>();
  #count = 0;

  /** Values folded in. */
  get count(): number {
    return this.#count;
  }

  /** Folds `count` copies of `value` (>= 0) in. */
  add(value: number, count = 1): this {
    if (!Number.isFinite(value) || value < 0) throw new RangeError(`value must be a finite number >= 0, got ${value}`);
    if (!Number.isInteger(count) || count < 0) throw new RangeError(`count must be an integer >= 0, got ${count}`);
    if (count === 0) return this;
    const bin = sketchBin(value);
    this.#bins.set(bin, (this.#bins.get(bin) ?? 0) + count);
    this.#count += count;
    return this;
  }

  /** Adds `other`'s bins to this sketch: the result equals one sketch over both inputs. */
  merge(other: DDSketch): this {
    for (const [bin, count] of other.#bins) this.#bins.set(bin, (this.#bins.get(bin) ?? 0) + count);
    this.#count += other.#count;
    return this;
  }

  /** The lower q-quantile, null when empty. */
  quantile(q: number): number | null {
    return quantileFromBins(this.#bins, q);
  }

  /** A copy of the bins (bin index -> count), as storage keeps them. */
  bins(): Map<number, number> {
    return new Map(this.#bins);
  }
}
