import Database from "better-sqlite3";
import { describe, expect, it } from "vitest";
import { quantileFromBins } from "../../src/predictions/quantiles.js";
import { ZERO_BIN } from "../../src/aggregation/sketch-mapping.js";
import { addSketchBlobs, binsOfSketch, decodeSketch, sketchBlobOfBins } from "../../src/storage/sqlite/dense-sketch.js";
import { registerSketchFunctions } from "../../src/storage/sqlite/sketch-functions.js";
import { seededRandom } from "../predictions/seeded-random.js";

/** Every reported quantile, both ends, and ranks whose q * (n - 1) lands a hair off an integer in doubles. */
const QUANTILES = [0, 0.1, 0.25, 0.5, 0.7, 0.75, 0.9, 0.99, 1];

/** Bin index to count: some sketches empty, some zeros only, bins spread or bunched. */
function randomBins(random: () => number): Map<number, number> {
  const bins = new Map<number, number>();
  const size = Math.floor(random() * (random() < 0.5 ? 8 : 300));
  const spread = random() < 0.5 ? 20 : 1800;
  const low = Math.floor(random() * 400) - 10;
  for (let i = 0; i < size; i += 1) {
    const bin = random() < 0.1 ? ZERO_BIN : low + Math.floor(random() * spread);
    bins.set(bin, (bins.get(bin) ?? 0) + 1 + Math.floor(random() * 1000));
  }
  return bins;
}

const binsOfBlob = (blob: Uint8Array): Map<number, number> => binsOfSketch(decodeSketch(blob));
const EMPTY = sketchBlobOfBins([]);

describe("dense sketches (SQLite's one BLOB per sketch)", () => {
  it("keep every bin and count through a BLOB, so quantileFromBins answers as over the bins themselves", () => {
    const random = seededRandom(3);
    for (let round = 0; round < 300; round += 1) {
      const bins = randomBins(random);
      const sketch = decodeSketch(sketchBlobOfBins(bins));
      expect(binsOfSketch(sketch), `round ${round}`).toEqual(bins);
      const located = QUANTILES.map((q) => quantileFromBins(binsOfSketch(sketch), q));
      expect(located, `round ${round}`).toEqual(QUANTILES.map((q) => quantileFromBins(bins, q)));
    }
  });

  it("add up like the union of their values, in either order, the empty sketch included", () => {
    const random = seededRandom(5);
    for (let round = 0; round < 200; round += 1) {
      const [a, b] = [randomBins(random), randomBins(random)];
      const union = new Map(a);
      for (const [bin, count] of b) union.set(bin, (union.get(bin) ?? 0) + count);
      expect(binsOfBlob(addSketchBlobs(sketchBlobOfBins(a), sketchBlobOfBins(b))), `round ${round}`).toEqual(union);
      expect(binsOfBlob(addSketchBlobs(sketchBlobOfBins(b), sketchBlobOfBins(a))), `round ${round}`).toEqual(union);
    }
    const some = sketchBlobOfBins([[4, 2], [ZERO_BIN, 1]]);
    expect(binsOfBlob(addSketchBlobs(EMPTY, some))).toEqual(new Map([[ZERO_BIN, 1], [4, 2]]));
    expect(binsOfBlob(addSketchBlobs(some, EMPTY))).toEqual(new Map([[ZERO_BIN, 1], [4, 2]]));
    expect(binsOfBlob(addSketchBlobs(EMPTY, EMPTY))).toEqual(new Map());
    // A stored Buffer that is a view into a bigger one (as drivers may hand over) is read at its offset.
    const inside = (blob: Buffer): Buffer => Buffer.concat([Buffer.alloc(3), blob]).subarray(3);
    expect(binsOfBlob(inside(sketchBlobOfBins([[9, 1], [ZERO_BIN, 2]])))).toEqual(new Map([[ZERO_BIN, 2], [9, 1]]));
    expect(binsOfBlob(addSketchBlobs(inside(sketchBlobOfBins([[9, 1]])), sketchBlobOfBins([[10, 2]])))).toEqual(new Map([[9, 1], [10, 2]]));
    expect(binsOfBlob(addSketchBlobs(sketchBlobOfBins([[9, 1]]), inside(sketchBlobOfBins([[5, 2]]))))).toEqual(new Map([[5, 2], [9, 1]]));
  });

  it("stores 8 bytes per bin from the lowest to the highest, zeros in the header, counts exact up to 2^53", () => {
    expect(sketchBlobOfBins([[ZERO_BIN, 5]]).length).toBe(16);
    expect(sketchBlobOfBins([[100, 1], [102, 1], [ZERO_BIN, 1]]).length).toBe(16 + 3 * 8);
    const big = Number.MAX_SAFE_INTEGER - 1;
    expect(binsOfBlob(addSketchBlobs(sketchBlobOfBins([[7, big]]), sketchBlobOfBins([[7, 1]])))).toEqual(new Map([[7, big + 1]]));
    expect(quantileFromBins(binsOfBlob(EMPTY), 0.5)).toBeNull();
  });

  it("refuses bytes that are not a sketch with a RangeError", () => {
    expect(() => decodeSketch(new Uint8Array(15))).toThrow(RangeError);
    expect(() => decodeSketch(new Uint8Array(17))).toThrow(/not a multiple of 8/);
    expect(() => addSketchBlobs(EMPTY, new Uint8Array(8))).toThrow(RangeError);
    const damaged = sketchBlobOfBins([[3, 1]]);
    damaged.writeDoubleLE(Number.NaN, 0);
    expect(() => addSketchBlobs(damaged, EMPTY)).toThrow(/starts at bin NaN/);
    damaged.writeDoubleLE(-1e12, 0);
    expect(() => addSketchBlobs(EMPTY, damaged)).toThrow(RangeError);
    expect(() => decodeSketch(damaged)).toThrow(/starts at bin/);
  });

  it("merge in SQL: sketch_add sums two BLOBs, sketch_of_bins builds one from bin rows", () => {
    const db = new Database(":memory:");
    registerSketchFunctions(db);
    const added = db.prepare("SELECT sketch_add(?, ?) AS sketch").get(
      sketchBlobOfBins([[3, 1], [9, 2]]),
      sketchBlobOfBins([[ZERO_BIN, 4], [1, 5], [9, 1]]),
    ) as { sketch: Buffer };
    expect(binsOfBlob(added.sketch)).toEqual(new Map([[ZERO_BIN, 4], [1, 5], [3, 1], [9, 3]]));
    db.exec("CREATE TABLE bins (bin INTEGER, count INTEGER); INSERT INTO bins VALUES (-1000000, 2), (40, 1), (38, 6)");
    const built = db.prepare("SELECT sketch_of_bins(bin, count) AS sketch FROM bins").get() as { sketch: Buffer };
    expect(binsOfBlob(built.sketch)).toEqual(new Map([[ZERO_BIN, 2], [38, 6], [40, 1]]));
    // A stored value that is not a sketch fails the statement instead of being merged.
    expect(() => db.prepare("SELECT sketch_add(?, ?)").get(Buffer.alloc(3), EMPTY)).toThrow(RangeError);
    db.close();
  });
});
