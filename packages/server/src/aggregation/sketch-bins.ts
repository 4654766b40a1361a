/**
 * A stored sketch read in place: bin -> events over the bytes an engine keeps (12-byte entries,
 * an int32 bin and a float64 count, ascending by bin, no zero counts; SQLite writes them
 * little-endian, PostgreSQL big-endian). A read-only Map without the Map: the read of every
 * (group, instance) aggregate made four Maps per row, and building them and collecting them
 * afterwards was about a third of a refresh of every group (docs/benchmarks/server-predictions.md).
 * `forEach` walks the bytes in bin order, which is how the snapshot code reads a sketch.
 */

/** Bytes of one entry: an int32 bin and a float64 count. */
export const SKETCH_ENTRY_BYTES = 12;

export class SketchBins implements ReadonlyMap<number, number> {
  readonly #view: DataView;
  readonly #start: number;
  readonly #littleEndian: boolean;
  readonly size: number;

  /**
   * The entries in `bytes` from `start` to `end`; RangeError for a length that cannot be entries
   * (a damaged file or row). Sketches read from one buffer can share one DataView of it.
   */
  constructor(bytes: Uint8Array | DataView, littleEndian: boolean, start = 0, end = bytes.byteLength) {
    const length = end - start;
    if (!Number.isInteger(start) || start < 0 || length < 0 || end > bytes.byteLength || length % SKETCH_ENTRY_BYTES !== 0) throw new RangeError(`a stored sketch has ${length} bytes, not a multiple of ${SKETCH_ENTRY_BYTES}`);
    this.#view = bytes instanceof DataView ? bytes : new DataView(bytes.buffer, bytes.byteOffset, bytes.length);
    this.#start = start;
    this.#littleEndian = littleEndian;
    this.size = length / SKETCH_ENTRY_BYTES;
  }

  /** The i-th bin in ascending order. */
  binAt(i: number): number {
    return this.#view.getInt32(this.#start + i * SKETCH_ENTRY_BYTES, this.#littleEndian);
  }

  /** The events of the i-th bin. */
  countAt(i: number): number {
    return this.#view.getFloat64(this.#start + i * SKETCH_ENTRY_BYTES + 4, this.#littleEndian);
  }

  /** The entry index of `bin`, or -1 (binary search: entries are in bin order). */
  #indexOf(bin: number): number {
    let low = 0;
    let high = this.size;
    while (low < high) {
      const middle = (low + high) >>> 1;
      const at = this.binAt(middle);
      if (at === bin) return middle;
      if (at < bin) low = middle + 1;
      else high = middle;
    }
    return -1;
  }

  /**
   * Writes the entries into `target` from byte `at`, little-endian whatever this sketch's order
   * (a copy of the bytes when they already are); returns the byte after them. What a snapshot's
   * fingerprint hashes: the same sketch gives the same bytes on either engine.
   */
  writeLittleEndian(target: DataView, at: number): number {
    const length = this.size * SKETCH_ENTRY_BYTES;
    if (this.#littleEndian) {
      new Uint8Array(target.buffer, target.byteOffset + at, length).set(new Uint8Array(this.#view.buffer, this.#view.byteOffset + this.#start, length));
    } else {
      for (let i = 0; i < this.size; i++) {
        target.setInt32(at + i * SKETCH_ENTRY_BYTES, this.binAt(i), true);
        target.setFloat64(at + i * SKETCH_ENTRY_BYTES + 4, this.countAt(i), true);
      }
    }
    return at + length;
  }

  get(bin: number): number | undefined {
    const index = this.#indexOf(bin);
    return index < 0 ? undefined : this.countAt(index);
  }

  has(bin: number): boolean {
    return this.#indexOf(bin) >= 0;
  }

  forEach(callback: (count: number, bin: number, map: ReadonlyMap<number, number>) => void, thisArg?: unknown): void {
    for (let i = 0; i < this.size; i++) callback.call(thisArg, this.countAt(i), this.binAt(i), this);
  }

  *entries(): MapIterator<[number, number]> {
    for (let i = 0; i < this.size; i++) yield [this.binAt(i), this.countAt(i)];
  }

  *keys(): MapIterator<number> {
    for (let i = 0; i < this.size; i++) yield this.binAt(i);
  }

  *values(): MapIterator<number> {
    for (let i = 0; i < this.size; i++) yield this.countAt(i);
  }

  [Symbol.iterator](): MapIterator<[number, number]> {
    return this.entries();
  }
}
