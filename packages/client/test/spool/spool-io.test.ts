import { describe, expect, it } from "vitest";
import { spoolIo, writeAllGathered } from "../../src/spool/spool-io.js";
import type { SpoolIo } from "../../src/spool/spool-io.js";

/** An io that records what reaches "the file", taking at most `most` bytes per call, as a nearly full disk may. */
function shortWritingIo(most: number): { io: SpoolIo; file: () => Buffer; calls: { writev: number; write: number } } {
  const written: Buffer[] = [];
  const calls = { writev: 0, write: 0 };
  const io: SpoolIo = {
    writeSync: (_fd, buffer, offset, length) => {
      calls.write++;
      const n = Math.min(length, 7);
      written.push(Buffer.from(buffer.subarray(offset, offset + n)));
      return n;
    },
    writevSync: (_fd, buffers) => {
      calls.writev++;
      const all = Buffer.concat(buffers);
      const n = Math.min(all.length, most);
      written.push(all.subarray(0, n));
      return n;
    },
    fsync: (_fd, callback) => callback(null),
  };
  return { io, file: () => Buffer.concat(written), calls };
}

describe("spool writes", () => {
  const chunks = Array.from({ length: 1200 }, (_, i) => Buffer.from(`chunk ${i} `.repeat(1 + (i % 5))));
  const expected = Buffer.concat(chunks);

  it("writes all buffers in order with one writev per 512 of them", () => {
    const { io, file, calls } = shortWritingIo(Number.MAX_SAFE_INTEGER);
    writeAllGathered(io, 3, chunks);
    expect(file().equals(expected)).toBe(true);
    expect(calls).toEqual({ writev: 3, write: 0 });
  });

  it("finishes a short writev buffer by buffer, from the byte where it stopped", () => {
    for (const most of [0, 1, 5000, 20_000]) {
      const { io, file } = shortWritingIo(most);
      writeAllGathered(io, 3, chunks);
      expect(file().equals(expected), String(most)).toBe(true);
    }
  });

  it("a test's writeSync replacement also carries the gathered writes, and a failing one throws", () => {
    const seen: number[] = [];
    const io = spoolIo({ writeSync: (_fd, _buffer, _offset, length) => (seen.push(length), length) });
    writeAllGathered(io, 3, chunks.slice(0, 4));
    expect(seen).toEqual(chunks.slice(0, 4).map((chunk) => chunk.length));
    const failing = spoolIo({ writeSync: () => { throw Object.assign(new Error("no space"), { code: "ENOSPC" }); } });
    expect(() => writeAllGathered(failing, 3, chunks)).toThrow(/no space/);
    const stuck = spoolIo({ writeSync: () => 0 });
    expect(() => writeAllGathered(stuck, 3, chunks)).toThrow(/wrote nothing/);
  });
});
