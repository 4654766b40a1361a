import { describe, expect, it } from "vitest";
import { SketchBins } from "../../src/aggregation/sketch-bins.js";
import { ZERO_BIN } from "../../src/aggregation/sketch-mapping.js";
import { sketchEntries } from "../helpers/sketch-entries.js";

const PAIRS = [[ZERO_BIN, 2], [0, 1], [17, 4.5], [300, 2 ** 53 - 1], [1_800, 7]] as const;

describe("SketchBins: a stored sketch read in place", () => {
  for (const littleEndian of [true, false]) {
    it(`reads every entry, ${littleEndian ? "little" : "big"}-endian, like the Map of its pairs`, () => {
      const bins = new SketchBins(sketchEntries(PAIRS, littleEndian), littleEndian);
      expect(bins.size).toBe(PAIRS.length);
      expect([...bins]).toEqual(PAIRS.map(([bin, count]) => [bin, count]));
      expect([...bins.keys()]).toEqual(PAIRS.map(([bin]) => bin));
      expect([...bins.values()]).toEqual(PAIRS.map(([, count]) => count));
      for (const [bin, count] of PAIRS) {
        expect(bins.get(bin)).toBe(count);
        expect(bins.has(bin)).toBe(true);
      }
      for (const absent of [-1, 1, 16, 18, 299, 301, 1_801]) {
        expect(bins.get(absent)).toBeUndefined();
        expect(bins.has(absent)).toBe(false);
      }
      const seen: [number, number][] = [];
      bins.forEach((count, bin, map) => {
        expect(map).toBe(bins);
        seen.push([bin, count]);
      });
      expect(seen).toEqual([...new Map(PAIRS)]);
    });
  }

  it("reads one sketch out of several joined (SQLite reads a row's four as one BLOB)", () => {
    const first = sketchEntries([[1, 1], [2, 2]], true);
    const second = sketchEntries([[5, 3]], true);
    const joined = Buffer.concat([first, second, Buffer.alloc(0)]);
    expect([...new SketchBins(joined, true, 0, first.length)]).toEqual([[1, 1], [2, 2]]);
    expect([...new SketchBins(joined, true, first.length, first.length + second.length)]).toEqual([[5, 3]]);
    expect(new SketchBins(joined, true, joined.length, joined.length).size).toBe(0);
    // Inside a larger buffer (a pooled Buffer's byteOffset is not 0).
    const pooled = Buffer.concat([Buffer.alloc(5), joined]).subarray(5);
    expect([...new SketchBins(pooled, true, first.length)]).toEqual([[5, 3]]);
  });

  it("refuses a length that is not whole entries with a RangeError", () => {
    expect(() => new SketchBins(new Uint8Array(13), true)).toThrow(/not a multiple of 12/);
    expect(() => new SketchBins(new Uint8Array(24), true, 12, 0)).toThrow(RangeError);
    expect(() => new SketchBins(new Uint8Array(24), true, -12, 0)).toThrow(RangeError);
    expect(() => new SketchBins(new Uint8Array(24), true, 12, 36)).toThrow(RangeError);
    expect(() => new SketchBins(new Uint8Array(24), true, 0.5, 12.5)).toThrow(RangeError);
  });
});
