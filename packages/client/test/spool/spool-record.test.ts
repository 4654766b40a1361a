import { describe, expect, it } from "vitest";
import { mergeLeftovers } from "../../src/spool/spool-claim.js";
import { spoolChecksum } from "../../src/spool/spool-checksum.js";
import { readRecordLines, readRecords } from "../../src/spool/spool-record-reader.js";
import { RecordBuffer } from "../../src/spool/spool-record.js";
import { event, flipByte, ids, records } from "./spool-fixtures.js";

function encode(fill: (buffer: RecordBuffer) => void): Buffer {
  const buffer = new RecordBuffer();
  fill(buffer);
  return Buffer.from(buffer.view());
}

describe("spool records", () => {
  it("round-trip: add records keep id, event and their exact bytes; remove records keep their ids", () => {
    const sizes: number[] = [];
    const data = encode((buffer) => {
      sizes.push(buffer.add("e1", event("e1")));
      sizes.push(buffer.remove(["e1", "e2"]));
      sizes.push(buffer.add("e2", event("e2", { note: "ünïcödé 🎉" })));
    });
    expect(sizes.reduce((a, b) => a + b)).toBe(data.length);
    const { records: read, corrupt } = readRecords(data);
    expect(corrupt).toBe(0);
    expect(read).toEqual([
      { kind: "add", id: "e1", event: event("e1"), line: data.subarray(0, sizes[0]) },
      { kind: "remove", ids: ["e1", "e2"] },
      { kind: "add", id: "e2", event: event("e2", { note: "ünïcödé 🎉" }), line: data.subarray(data.length - (sizes[2] as number)) },
    ]);
    expect(data.toString("utf8")).toMatch(/^[0-9a-f]{8} A \["e1",\{.*\}\]\n[0-9a-f]{8} D \["e1","e2"\]\n[0-9a-f]{8} A /);
  });

  it("detects a change of any single byte, at every position of a record", () => {
    const record = records(["an-id"]); // one record, ~130 bytes: covers the four lanes and the tail bytes
    for (let i = 0; i < record.length; i++) {
      for (const mask of [0x01, 0x20, 0x80, 0xff]) {
        const damaged = Buffer.from(record);
        flipByte(damaged, i, mask);
        const { records: read } = readRecords(Buffer.concat([damaged, records(["next"])]));
        // The damaged record is never read as valid; the next one is lost only when the newline itself was hit.
        expect(read.filter((r) => r.kind === "add" && r.id === "an-id"), `byte ${i} ^ ${mask}`).toEqual([]);
        if (i < record.length - 1) expect(read.map((r) => (r.kind === "add" ? r.id : ""))).toEqual(["next"]);
      }
    }
  });

  it("treats every truncation of the last record as a torn tail: skipped, counted once", () => {
    const data = records(["a", "b"]);
    const firstEnd = data.indexOf(0x0a) + 1;
    for (let length = firstEnd + 1; length < data.length; length++) {
      const { records: read, corrupt } = readRecords(data.subarray(0, length));
      expect(read.map((r) => (r.kind === "add" ? r.id : ""))).toEqual(["a"]);
      expect(corrupt).toBe(1);
    }
  });

  it("the checksum differs for any one-byte change, whatever the length (lane and tail bytes)", () => {
    for (let length = 1; length <= 40; length++) {
      const bytes = Buffer.from(Array.from({ length }, (_, i) => (i * 37) & 0xff));
      const sum = spoolChecksum(bytes, 0, length);
      for (let i = 0; i < length; i++) {
        const changed = Buffer.from(bytes);
        flipByte(changed, i, 0x10);
        expect(spoolChecksum(changed, 0, length)).not.toBe(sum);
      }
    }
  });

  it("reading ids only (for compaction) finds the same ids and bytes as a full read, for ids of any content", () => {
    const odd = ["plain", 'quote"inside', "back\\slash\\", 'ends with \\"', "émoji 🎉", "tab\there", "lone \ud800"];
    const data = encode((buffer) => {
      for (const id of odd) buffer.add(id, event(id, { text: '"],"x' }));
      buffer.remove(odd.slice(0, 2));
    });
    flipByte(data, data.indexOf("émoji") + 40); // one damaged record: both readers skip it
    const full = readRecords(data);
    const light = readRecordLines(data);
    expect(light.corrupt).toBe(1);
    expect(full.corrupt).toBe(1);
    expect(light.records).toEqual(full.records.map((record) => (record.kind === "add" ? { kind: "add", id: record.id, line: record.line } : record)));
    expect(light.records.map((record) => (record.kind === "add" ? record.id : "D"))).toEqual([...odd.filter((id) => id !== "émoji 🎉"), "D"]);
  });

  it("spreads a burst over several chunks, no record split, and reuses them after clear", () => {
    const buffer = new RecordBuffer();
    for (let turn = 0; turn < 3; turn++) {
      const sizes: number[] = [];
      const burst = ids(`t${turn}`, 3000);
      for (const id of burst) sizes.push(buffer.add(id, event(id)));
      sizes.push(buffer.add("big", event("big", { blob: "y".repeat(100_000) })));
      const chunks = buffer.chunks();
      expect(chunks.length).toBeGreaterThan(2);
      for (const chunk of chunks) expect(chunk[chunk.length - 1]).toBe(0x0a); // every chunk ends a record
      const data = Buffer.concat(chunks);
      expect(data.length).toBe(buffer.length);
      expect(data.length).toBe(sizes.reduce((a, b) => a + b));
      const { records: read, corrupt } = readRecords(data);
      expect(corrupt).toBe(0);
      expect(read.map((record) => (record.kind === "add" ? record.id : "D"))).toEqual([...burst, "big"]);
      buffer.clear();
      expect(buffer.length).toBe(0);
      expect(buffer.chunks()).toEqual([]);
    }
  });

  it("holds records larger than its 64 KiB chunks, and clears", () => {
    const buffer = new RecordBuffer();
    const big = event("big", { blob: "x".repeat(200_000) });
    const size = buffer.add("big", big);
    expect(buffer.length).toBe(size);
    expect(readRecords(Buffer.from(buffer.view())).records).toMatchObject([{ id: "big", event: big }]);
    buffer.clear();
    expect(buffer.length).toBe(0);
  });
});

describe("mergeLeftovers", () => {
  it("keeps the first copy of each id, in file then record order, minus ids removed in any file", () => {
    const merged = mergeLeftovers([records(["a", "b", "c"], [["b"]]), records(["c", "d", "a"]), records([], [["d"]])]);
    expect(merged.adds.map((add) => add.id)).toEqual(["a", "c"]);
    expect(merged.corruptRecords).toBe(0);
  });
});
