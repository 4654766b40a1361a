import { fsync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { event, ids, nextTurn, spoolFiles } from "./spool-fixtures.js";
import { useSpoolFolder } from "./spool-folder.js";

const folder = useSpoolFolder();
const onlyFile = (): string => {
  const files = spoolFiles(folder.dir());
  expect(files).toHaveLength(1);
  return join(folder.dir(), files[0] as string);
};

describe("Spool: appending and removing", () => {
  it("writes each turn's records at the end of the turn, and liveBytes is exactly their bytes on disk", async () => {
    const { spool, recovered } = folder.open();
    expect(recovered).toEqual({ events: [], ids: [], corruptRecords: 0, claimedFiles: 0 });
    const path = onlyFile();
    for (const id of ids("e", 3)) spool.append(id, event(id));
    expect(statSync(path).size).toBe(0); // buffered until the turn ends
    await Promise.resolve(); // the flush microtask was queued before this one
    expect(statSync(path).size).toBeGreaterThan(0);
    expect(spool.liveCount).toBe(3);
    expect(spool.liveBytes).toBe(statSync(path).size);
    expect(readFileSync(path, "utf8").split("\n")[0]).toMatch(/^[0-9a-f]{8} A \["e-00000",\{"event_id":"e-00000",/);
  });

  it("remove drops the events from the live counts, ignores unknown and repeated ids, and writes a remove record", async () => {
    const { spool } = folder.open();
    for (const id of ids("e", 4)) spool.append(id, event(id));
    await nextTurn();
    const sizeOfOne = spool.liveBytes / 4;
    spool.remove(["e-00001", "nope", "e-00001", "e-00003"]);
    expect(spool.liveCount).toBe(2);
    expect(spool.liveBytes).toBe(sizeOfOne * 2);
    await nextTurn();
    expect(readFileSync(onlyFile(), "utf8")).toMatch(/ D \["e-00001","e-00003"\]\n$/);
    spool.remove(["unknown"]); // nothing known: nothing written
    const size = statSync(onlyFile()).size;
    await nextTurn();
    expect(statSync(onlyFile()).size).toBe(size);
  });

  it("an id appended twice counts as two records, each removed by one mention of the id", async () => {
    const { spool } = folder.open();
    spool.append("same", event("same"));
    spool.append("same", event("same"));
    await nextTurn();
    expect(spool.liveCount).toBe(2);
    expect(spool.liveBytes).toBe(statSync(onlyFile()).size);
    spool.remove(["same"]);
    expect(spool.liveCount).toBe(1);
    expect(spool.liveBytes).toBe(statSync(onlyFile()).size / 2);
    spool.remove(["same"]);
    expect(spool.liveCount).toBe(0);
    expect(spool.liveBytes).toBe(0);
  });

  it("an event JSON.stringify cannot serialise is not spooled, and append does not throw", async () => {
    const { spool } = folder.open();
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    expect(() => spool.append("cyclic", cyclic)).not.toThrow();
    expect(() => spool.append("big", { n: 10n })).not.toThrow();
    expect(spool.liveCount).toBe(0);
    spool.append("ok", event("ok"));
    await nextTurn();
    expect(spool.liveCount).toBe(1);
    expect(readFileSync(onlyFile(), "utf8").split("\n")).toHaveLength(2);
  });
});

describe("Spool: close and reopen", () => {
  it("close() of a spool with nothing live deletes its file, leaving the folder empty", async () => {
    const { spool } = folder.open();
    spool.append("a", event("a"));
    spool.remove(["a"]);
    await spool.close();
    expect(spoolFiles(folder.dir())).toEqual([]);
    expect(spool.active).toBe(false);
  });

  it("close() is idempotent and makes append and remove no-ops", async () => {
    const { spool } = folder.open();
    spool.append("a", event("a"));
    const first = spool.close();
    expect(spool.close()).toBe(first);
    await first;
    spool.append("b", event("b"));
    spool.remove(["a"]);
    await spool.close();
    expect(spool.liveCount).toBe(1);
    expect(readFileSync(onlyFile(), "utf8")).not.toContain('"b"');
  });

  it("a clean close with live events keeps them, and the next open recovers exactly them, in order", async () => {
    const all = ids("e", 20);
    const first = folder.open().spool;
    for (const id of all.slice(0, 10)) first.append(id, event(id, { n: Number(id.slice(2)) }));
    await nextTurn();
    for (const id of all.slice(10)) first.append(id, event(id, { n: Number(id.slice(2)) }));
    first.remove(["e-00003", "e-00015"]);
    await first.close();

    const { spool, recovered } = folder.open();
    const expected = all.filter((id) => id !== "e-00003" && id !== "e-00015");
    expect(recovered.ids).toEqual(expected);
    expect(recovered.events).toEqual(expected.map((id) => event(id, { n: Number(id.slice(2)) })));
    expect(recovered.claimedFiles).toBe(1);
    expect(recovered.corruptRecords).toBe(0);
    // Adopted: live in the new spool, in its own (only) file, and removable by id.
    expect(spool.liveCount).toBe(18);
    expect(spool.liveBytes).toBe(statSync(onlyFile()).size);
    spool.remove(recovered.ids);
    await spool.close();
    expect(spoolFiles(folder.dir())).toEqual([]);
  });

  it("keeps ids and events of any content intact: spaces, newlines, non-ASCII, lone surrogates, large events", async () => {
    const odd = ["with space", "new\nline", "quote\"and\\", "émoji 🎉", "lone \ud800 surrogate"];
    const first = folder.open().spool;
    for (const id of odd) first.append(id, event(id, { text: `${id} ✓ \u2028` }));
    first.append("large", event("large", { blob: "🎉".repeat(50_000) })); // 200 KB of UTF-8, past the 64 KiB turn buffer
    await first.close();
    const { recovered } = folder.open();
    expect(recovered.ids).toEqual([...odd, "large"]);
    expect(recovered.events).toEqual([...odd.map((id) => event(id, { text: `${id} ✓ \u2028` })), event("large", { blob: "🎉".repeat(50_000) })]);
    expect(recovered.corruptRecords).toBe(0);
  });
});

describe("Spool: keeping the file small", () => {
  it("empties the file when every event has left (the common case)", async () => {
    const { spool } = folder.open();
    for (const id of ids("e", 50)) spool.append(id, event(id));
    await nextTurn();
    expect(statSync(onlyFile()).size).toBeGreaterThan(0);
    spool.remove(ids("e", 49));
    await nextTurn();
    expect(statSync(onlyFile()).size).toBeGreaterThan(spool.liveBytes); // one live: remove record written
    spool.remove(["e-00049"]);
    await nextTurn();
    expect(statSync(onlyFile()).size).toBe(0);
    expect(spool.fileBytes).toBe(0);
    // O_APPEND: the next record lands at offset 0.
    spool.append("next", event("next"));
    await nextTurn();
    expect(readFileSync(onlyFile(), "utf8")).toMatch(/^[0-9a-f]{8} A \["next",/);
    expect(statSync(onlyFile()).size).toBe(spool.liveBytes);
  });

  it("compacts when dead records exceed both the live bytes and the threshold, and recovery stays exact", async () => {
    const all = ids("e", 200);
    const first = folder.open({ compactMinDeadBytes: 4096 }).spool;
    for (let i = 0; i < all.length; i += 20) {
      for (const id of all.slice(i, i + 20)) first.append(id, event(id));
      await nextTurn();
      first.remove(all.slice(i, i + 17)); // keep 3 of every 20
      await nextTurn();
    }
    const before = statSync(onlyFile()).size;
    expect(before).toBeGreaterThan(4 * first.liveBytes);
    await first.sync();
    const after = statSync(onlyFile()).size;
    expect(after).toBe(first.liveBytes);
    expect(first.fileBytes).toBe(after);
    expect(spoolFiles(folder.dir())).toHaveLength(1); // no temp file left
    // The spool goes on appending to the compacted file.
    first.append("later", event("later"));
    await first.close();
    const kept = all.filter((_, i) => i % 20 >= 17);
    const { recovered } = folder.open();
    expect(recovered.ids).toEqual([...kept, "later"]);
    expect(recovered.corruptRecords).toBe(0);
  });

  it("does not compact while the dead records are below the threshold", async () => {
    const { spool } = folder.open(); // default threshold: 1 MiB
    for (const id of ids("e", 100)) spool.append(id, event(id));
    await nextTurn();
    spool.remove(ids("e", 90));
    await spool.sync();
    expect(statSync(onlyFile()).size).toBeGreaterThan(spool.liveBytes);
  });
});

describe("Spool: fsync", () => {
  it("does not compact while an fsync is running on the descriptor compaction would retire", async () => {
    // Real fsyncs, held until released: one on a descriptor closed meanwhile fails with EBADF.
    const control = { hold: true, held: [] as (() => void)[] };
    const { spool } = folder.open({
      compactMinDeadBytes: 1,
      io: { fsync: (fd, callback) => (control.hold ? void control.held.push(() => fsync(fd, callback)) : fsync(fd, callback)) },
    });
    try {
      for (const id of ids("e", 10)) spool.append(id, event(id));
      const running = spool.sync();
      await nextTurn();
      expect(control.held).toHaveLength(1);
      spool.remove(ids("e", 9));
      const size = statSync(onlyFile()).size;
      const second = spool.sync(); // would compact now, but the running fsync holds the descriptor
      expect(statSync(onlyFile()).size).toBeGreaterThan(size); // the remove record was appended, nothing rewritten
      control.hold = false;
      control.held.shift()!();
      await Promise.all([running, second]);
      expect(folder.failures).toEqual([]);
      await spool.sync(); // no fsync running: compacts now
      expect(statSync(onlyFile()).size).toBe(spool.liveBytes);
      expect(folder.failures).toEqual([]);
    } finally {
      control.hold = false; // a failed assertion must not leave close() waiting on a held fsync
      for (const release of control.held.splice(0)) release();
    }
  });

  it("fsyncs on the timer only when something was written, and at close; the timer stops at close", async () => {
    const timer = { tick: (): void => {}, stopped: false };
    const fsynced: number[] = [];
    const { spool } = folder.open({
      every: (fn) => {
        timer.tick = fn;
        return () => void (timer.stopped = true);
      },
      io: { fsync: (fd, callback) => (fsynced.push(fd), callback(null)) },
    });
    timer.tick(); // the folder entry of the new file
    await spool.sync();
    expect(fsynced).toHaveLength(1);
    timer.tick(); // nothing new
    await spool.sync();
    expect(fsynced).toHaveLength(1);
    spool.append("a", event("a"));
    timer.tick(); // writes the buffered record and fsyncs it
    await spool.sync();
    expect(fsynced).toHaveLength(2);
    expect(spool.liveBytes).toBe(statSync(onlyFile()).size);
    spool.append("b", event("b"));
    await spool.close();
    expect(fsynced).toHaveLength(3);
    expect(timer.stopped).toBe(true);
  });

  it("sync() calls made while an fsync runs share the next one", async () => {
    const pending: (() => void)[] = [];
    const { spool } = folder.open({ io: { fsync: (_fd, callback) => void pending.push(() => callback(null)) } });
    try {
      spool.append("a", event("a"));
      const first = spool.sync();
      await nextTurn();
      expect(pending).toHaveLength(1);
      spool.append("b", event("b"));
      const second = spool.sync();
      const third = spool.sync();
      await nextTurn();
      expect(pending).toHaveLength(1); // never two at once
      pending.shift()!();
      await first;
      await nextTurn();
      expect(pending).toHaveLength(1); // one more fsync, for both callers
      pending.shift()!();
      await Promise.all([second, third]);
      expect(pending).toHaveLength(0);
    } finally {
      for (const release of pending.splice(0)) release();
    }
  });
});
