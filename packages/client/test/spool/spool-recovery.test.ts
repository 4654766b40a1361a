import { existsSync, readFileSync, symlinkSync, truncateSync, unlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { isOwnerAlive, processStartToken } from "../../src/spool/spool-owner.js";
import type { SpoolOwner } from "../../src/spool/spool-owner.js";
import { event, flipByte, ids, nextTurn, recordLine, records, spoolFiles, writeLeftover } from "./spool-fixtures.js";
import { useSpoolFolder } from "./spool-folder.js";

const folder = useSpoolFolder();
/** Fictional owners: their liveness is whatever the test says. */
const DEAD: SpoolOwner = { pid: 4_000_001, start: "0" };
const OTHER_DEAD: SpoolOwner = { pid: 4_000_002, start: "0" };
const fictionalAlive = (alive: Set<number>) => (owner: SpoolOwner) => alive.has(owner.pid);

describe("recovery from a torn or corrupt file", () => {
  it("skips and counts a torn tail (no newline) and keeps every record before it", () => {
    const data = records(ids("e", 5));
    const path = writeLeftover(folder.dir(), DEAD, data);
    truncateSync(path, data.length - 40); // mid-way through the last record
    const { recovered } = folder.open({ isAlive: () => false });
    expect(recovered.ids).toEqual(ids("e", 4));
    expect(recovered.corruptRecords).toBe(1);
  });

  it("skips and counts a record with one flipped byte in the middle and reads on at the next newline", () => {
    const data = records(ids("e", 5));
    const third = data.indexOf('"e-00002",{');
    flipByte(data, third + 30, 0x04); // inside the event JSON of the third record
    writeLeftover(folder.dir(), DEAD, data);
    const { recovered } = folder.open({ isAlive: () => false });
    expect(recovered.ids).toEqual(["e-00000", "e-00001", "e-00003", "e-00004"]);
    expect(recovered.corruptRecords).toBe(1);
  });

  it("a corrupt remove record leaves its events live (recovered twice at worst, never lost)", () => {
    const data = records(ids("e", 3), [["e-00001"]]);
    flipByte(data, data.length - 5);
    writeLeftover(folder.dir(), DEAD, data);
    const { recovered } = folder.open({ isAlive: () => false });
    expect(recovered.ids).toEqual(ids("e", 3));
    expect(recovered.corruptRecords).toBe(1);
  });

  it("counts every kind of damage without throwing: garbage, blank lines, zero-filled tail, bad hex, wrong shapes", () => {
    const good = records(["ok-1"]);
    const data = Buffer.concat([
      Buffer.from("this is not a record\n"),
      Buffer.from("\n"),
      recordLine("A", '["only-id"]'), // checksum right, shape wrong
      recordLine("A", '["id", "not an object"]'),
      recordLine("D", '["id", 42]'),
      recordLine("A", '["id", {"broken": }]'), // checksum right, JSON wrong
      Buffer.from(`ZZZZZZZZ${good.subarray(8).toString("latin1")}`, "latin1"), // a good record with its checksum destroyed
      records(["ok-2"]),
      Buffer.alloc(512), // a zero-filled tail, as a power cut can leave
    ]);
    writeLeftover(folder.dir(), DEAD, data);
    const { recovered } = folder.open({ isAlive: () => false });
    expect(recovered.ids).toEqual(["ok-2"]);
    expect(recovered.corruptRecords).toBe(8);
  });

  it("an empty leftover file is claimed and deleted", () => {
    const path = writeLeftover(folder.dir(), DEAD, Buffer.alloc(0));
    const { recovered } = folder.open({ isAlive: () => false });
    expect(recovered).toMatchObject({ ids: [], corruptRecords: 0, claimedFiles: 1 });
    expect(existsSync(path)).toBe(false);
  });
});

describe("claiming across files", () => {
  it("a remove record in ANY claimed file removes the event, and each event_id comes back once", () => {
    // DEAD left e0..e3; OTHER_DEAD recovered e1 and e2 from it earlier, delivered e1, then both died.
    writeLeftover(folder.dir(), DEAD, records(ids("e", 4)));
    writeLeftover(folder.dir(), OTHER_DEAD, records(["e-00001", "e-00002"], [["e-00001"]]));
    const { recovered } = folder.open({ isAlive: () => false });
    expect(recovered.ids.sort()).toEqual(["e-00000", "e-00002", "e-00003"]);
    expect(recovered.claimedFiles).toBe(2);
  });

  it("a claimer that crashed mid-claim left a .claim named after itself: the next opener claims it", () => {
    // The crash came after the claimer copied the events into its own file and before it deleted
    // the claim: both hold them. Neither may be lost, neither may come back twice.
    const claimer: SpoolOwner = { pid: 4_000_003, start: "0" };
    writeLeftover(folder.dir(), claimer, records(ids("e", 3)), "claim");
    writeLeftover(folder.dir(), claimer, records(ids("e", 3)), "spool");
    writeLeftover(folder.dir(), DEAD, records(["f-1"]), "compact"); // a crash mid-compaction, too
    const { recovered } = folder.open({ isAlive: () => false });
    expect(recovered.ids.sort()).toEqual([...ids("e", 3), "f-1"]);
    expect(recovered.claimedFiles).toBe(3);
    expect(spoolFiles(folder.dir())).toHaveLength(1); // only the opener's own file
  });

  it("never touches files that are not spool files", () => {
    writeFileSync(join(folder.dir(), "notes.txt"), "keep me");
    writeFileSync(join(folder.dir(), "0-0-0123456789abcdef.spool"), "pid 0 is never an owner");
    folder.open({ isAlive: () => false });
    expect(readFileSync(join(folder.dir(), "notes.txt"), "utf8")).toBe("keep me");
    expect(existsSync(join(folder.dir(), "0-0-0123456789abcdef.spool"))).toBe(true);
  });

  it("two live owners never claim each other's files; once one dies, exactly one survivor gets its events", async () => {
    const alive = new Set([101, 102, 103]);
    const isAlive = fictionalAlive(alive);
    const a = folder.open({ pid: 101, isAlive }).spool;
    const b = folder.open({ pid: 102, isAlive });
    expect(b.recovered.claimedFiles).toBe(0);
    for (const id of ids("a", 3)) a.append(id, event(id));
    for (const id of ids("b", 2)) b.spool.append(id, event(id));
    await nextTurn();
    expect(a.claimLeftovers().claimedFiles).toBe(0);
    expect(b.spool.claimLeftovers().claimedFiles).toBe(0);
    expect(spoolFiles(folder.dir())).toHaveLength(2);

    alive.delete(101); // a is "killed": it stops here, its file stays
    const c = folder.open({ pid: 103, isAlive });
    const fromB = b.spool.claimLeftovers();
    expect(c.recovered.ids).toEqual(ids("a", 3)); // c came first
    expect(fromB).toMatchObject({ ids: [], claimedFiles: 0 });
    expect(c.spool.liveCount).toBe(3);
    expect(b.spool.liveCount).toBe(2); // its own, untouched
  });

  it("a file named with this process's pid is claimed unless an open spool of this process holds it", async () => {
    const first = folder.open().spool;
    first.append("a", event("a"));
    await nextTurn();
    const second = folder.open(); // same pid: first still holds its file
    expect(second.recovered.claimedFiles).toBe(0);
    await first.close(); // live events kept; no longer held
    const third = folder.open();
    expect(third.recovered.ids).toEqual(["a"]);
    // And a leftover of an earlier process that had our pid (a container restart): claimed at once.
    writeLeftover(folder.dir(), { pid: process.pid, start: "1" }, records(["b"]));
    expect(third.spool.claimLeftovers().ids).toEqual(["b"]);
  });

  it("a spool's own file stays held when the same folder is opened again through a symlink", async () => {
    const first = folder.open().spool;
    first.append("a", event("a"));
    await nextTurn();
    const alias = `${folder.dir()}-alias`;
    symlinkSync(folder.dir(), alias);
    try {
      expect(folder.open({ dir: alias }).recovered.claimedFiles).toBe(0);
      expect(first.liveCount).toBe(1);
    } finally {
      unlinkSync(alias);
    }
  });
});

describe("owner liveness", () => {
  it("a dead pid is dead, this process is alive", async () => {
    expect(isOwnerAlive({ pid: process.pid, start: "0" })).toBe(true);
    expect(isOwnerAlive({ pid: 4_194_304 + 1, start: "0" })).toBe(false); // above Linux's largest pid_max
  });

  it.skipIf(process.platform !== "linux")("on Linux, a live pid with another start time is a dead owner whose pid was reused", () => {
    const start = processStartToken(process.ppid);
    expect(start).toMatch(/^[1-9][0-9]*$/);
    expect(isOwnerAlive({ pid: process.ppid, start })).toBe(true);
    expect(isOwnerAlive({ pid: process.ppid, start: String(BigInt(start) + 1n) })).toBe(false);
    // And so the default liveness check claims the reused pid's file but not the live one's.
    const reused = writeLeftover(folder.dir(), { pid: process.ppid, start: String(BigInt(start) + 1n) }, records(["reused"]));
    const live = writeLeftover(folder.dir(), { pid: process.ppid, start }, records(["live"]));
    const { recovered } = folder.open();
    expect(recovered.ids).toEqual(["reused"]);
    expect(existsSync(reused)).toBe(false);
    expect(existsSync(live)).toBe(true);
  });
});
