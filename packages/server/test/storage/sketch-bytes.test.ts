import { describe, expect, it } from "vitest";
import { ZERO_BIN } from "../../src/aggregation/sketch-mapping.js";
import { addToSketchBytes, binsOfSketchBytes } from "../../src/storage/postgres/sketch-bytes.js";

/** The sum of bin -> count maps, the reference the byte merge must agree with. */
function addMaps(...maps: ReadonlyMap<number, number>[]): Map<number, number> {
  const sum = new Map<number, number>();
  for (const map of maps) for (const [bin, count] of map) sum.set(bin, (sum.get(bin) ?? 0) + count);
  return new Map([...sum].sort(([a], [b]) => a - b));
}

describe("PostgreSQL sketch bytes (migration 8)", () => {
  it("adds a change into a stored sketch: new bins before, between and after stored ones, shared bins summed, ascending", () => {
    const stored = addToSketchBytes(Buffer.alloc(0), new Map([[ZERO_BIN, 2], [5, 1], [9, 4], [300, 7]]));
    expect([...binsOfSketchBytes(stored)]).toEqual([[ZERO_BIN, 2], [5, 1], [9, 4], [300, 7]]);
    const change = new Map([[400, 1], [-3, 2], [9, 1], [6, 5], [ZERO_BIN, 1], [-2_000_000, 1]]);
    const sum = addToSketchBytes(stored, change);
    expect([...binsOfSketchBytes(sum)]).toEqual([...addMaps(binsOfSketchBytes(stored), change)]);
    expect(sum.length).toBe(12 * 8); // 4 stored + 6 gained, 2 of them shared
  });

  it("agrees with adding maps over many random changes, and reads back what migration 8 writes (big-endian int32, float64)", () => {
    let stored: Buffer = Buffer.alloc(0);
    let expected = new Map<number, number>();
    let seed = 7;
    const next = (): number => (seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31);
    for (let round = 0; round < 200; round++) {
      const change = new Map<number, number>();
      for (let j = next() % 6; j >= 0; j--) change.set((next() % 700) - 50, 1 + (next() % 3));
      stored = addToSketchBytes(stored, change);
      expected = addMaps(expected, change);
    }
    expect([...binsOfSketchBytes(stored)]).toEqual([...expected]);
    const entry = Buffer.alloc(12);
    entry.writeInt32BE(-1_000_000, 0);
    entry.writeDoubleBE(3, 4);
    expect([...binsOfSketchBytes(entry)]).toEqual([[-1_000_000, 3]]);
  });

  it("refuses bytes that cannot be a sketch", () => {
    expect(() => binsOfSketchBytes(Buffer.alloc(13))).toThrow(RangeError);
    expect(() => addToSketchBytes(Buffer.alloc(5), new Map([[1, 1]]))).toThrow(RangeError);
  });
});
