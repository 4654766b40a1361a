import Database from "better-sqlite3";
import { describe, expect, it } from "vitest";
import { ZERO_BIN } from "../../src/aggregation/sketch-mapping.js";
import { sketchBlobOfBins } from "../../src/storage/sqlite/dense-sketch.js";
import { registerSketchFunctions } from "../../src/storage/sqlite/sketch-functions.js";
import { addSparseSketches, sparseSketchBins, sparseSketchOfBins } from "../../src/storage/sqlite/sparse-sketch.js";
import { seededRandom } from "../predictions/seeded-random.js";

/** Bin index to count: some sketches empty, some zeros only, bins spread or bunched. */
function randomBins(random: () => number): Map<number, number> {
  const bins = new Map<number, number>();
  const size = Math.floor(random() * 12);
  const spread = random() < 0.5 ? 20 : 1500;
  const low = Math.floor(random() * 200) - 50;
  if (random() < 0.3) bins.set(ZERO_BIN, 1 + Math.floor(random() * 10));
  for (let i = 0; i < size; i += 1) {
    const bin = low + Math.floor(random() * spread);
    bins.set(bin, (bins.get(bin) ?? 0) + 1 + Math.floor(random() * 1000));
  }
  return bins;
}

/** A dense BLOB read back (test-only: nothing reads one in the server any more). */
function binsOfDenseBlob(blob: Buffer): Map<number, number> {
  const bins = new Map<number, number>();
  const first = blob.readDoubleLE(0);
  const zeros = blob.readDoubleLE(8);
  if (zeros > 0) bins.set(ZERO_BIN, zeros);
  for (let offset = 16; offset < blob.length; offset += 8) {
    const count = blob.readDoubleLE(offset);
    if (count > 0) bins.set(first + (offset - 16) / 8, count);
  }
  return bins;
}

const EMPTY = sparseSketchOfBins(new Map());

/** A sketch BLOB's bins as a Map (what toEqual compares). */
const binsOfSparseSketch = (blob: Uint8Array): Map<number, number> => new Map(sparseSketchBins(blob));

describe("sparse sketches (SQLite's BLOB per (group, instance) and metric)", () => {
  it("keep every bin and count through a BLOB, 12 bytes per bin", () => {
    const random = seededRandom(3);
    for (let round = 0; round < 300; round += 1) {
      const bins = randomBins(random);
      const blob = sparseSketchOfBins(bins);
      expect(blob.length).toBe(bins.size * 12);
      expect(binsOfSparseSketch(blob), `round ${round}`).toEqual(bins);
    }
  });

  it("add up like the union of their values, in either order, the empty sketch included", () => {
    const random = seededRandom(5);
    for (let round = 0; round < 200; round += 1) {
      const [a, b] = [randomBins(random), randomBins(random)];
      const union = new Map(a);
      for (const [bin, count] of b) union.set(bin, (union.get(bin) ?? 0) + count);
      const sorted = (bins: Map<number, number>) => [...bins].sort((x, y) => x[0] - y[0]);
      expect(sorted(binsOfSparseSketch(addSparseSketches(sparseSketchOfBins(a), sparseSketchOfBins(b)))), `round ${round}`).toEqual(sorted(union));
      expect(sorted(binsOfSparseSketch(addSparseSketches(sparseSketchOfBins(b), sparseSketchOfBins(a)))), `round ${round}`).toEqual(sorted(union));
    }
    expect(binsOfSparseSketch(addSparseSketches(EMPTY, EMPTY))).toEqual(new Map());
    const big = Number.MAX_SAFE_INTEGER - 1;
    expect(binsOfSparseSketch(addSparseSketches(sparseSketchOfBins(new Map([[7, big]])), sparseSketchOfBins(new Map([[7, 1]]))))).toEqual(new Map([[7, big + 1]]));
  });

  it("refuses bytes that are not a sketch with a RangeError", () => {
    expect(() => binsOfSparseSketch(new Uint8Array(13))).toThrow(/not a multiple of 12/);
    expect(() => addSparseSketches(EMPTY, new Uint8Array(5))).toThrow(RangeError);
  });

  it("merge in SQL through sketch_add, and the dense migration aggregate sketch_of_bins builds the dense BLOB", () => {
    const db = new Database(":memory:");
    registerSketchFunctions(db);
    const a = new Map([[3, 1], [ZERO_BIN, 2]]);
    const b = new Map([[3, 4], [9, 1]]);
    const sum = db.prepare("SELECT sketch_add(?, ?) AS s").get(sparseSketchOfBins(a), sparseSketchOfBins(b)) as { s: Buffer };
    expect(binsOfSparseSketch(sum.s)).toEqual(new Map([[ZERO_BIN, 2], [3, 5], [9, 1]]));
    db.exec("CREATE TABLE bins (bin INTEGER, count INTEGER)");
    const insert = db.prepare("INSERT INTO bins VALUES (?, ?)");
    for (const [bin, count] of [[ZERO_BIN, 1], [10, 2], [12, 3]] as const) insert.run(bin, count);
    const dense = db.prepare("SELECT sketch_of_bins(bin, count) AS s FROM bins").get() as { s: Buffer };
    expect(binsOfDenseBlob(dense.s)).toEqual(binsOfDenseBlob(sketchBlobOfBins([[ZERO_BIN, 1], [10, 2], [12, 3]])));
    expect(binsOfDenseBlob(dense.s)).toEqual(new Map([[ZERO_BIN, 1], [10, 2], [12, 3]]));
    db.close();
  });
});
