import { readdirSync, readFileSync, readlinkSync, statSync, writeFileSync, writeSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { Spool } from "../../src/spool/spool.js";
import { event, ids, nextTurn, records, spoolFiles, writeLeftover } from "./spool-fixtures.js";
import { useSpoolFolder } from "./spool-folder.js";

const folder = useSpoolFolder();
const errno = (code: string): NodeJS.ErrnoException => Object.assign(new Error(`${code}: simulated`), { code });
const open = (dir: string) => Spool.open({ dir, syncIntervalMs: 60_000, onFailure: () => {} });

describe("a folder that cannot be used", () => {
  // Tests run as root, so a chmod'ed folder would not stop them: a regular file in the way does.
  it("open() throws a plain Error naming the folder when the path is a file", () => {
    const path = join(folder.dir(), "a-file");
    writeFileSync(path, "");
    expect(() => open(path)).toThrowError(new RegExp(`^Telemetry spool in ${path}: creating the folder failed \\(EEXIST\\)$`));
  });

  it("open() throws when the folder would have to be created under a regular file", () => {
    const path = join(folder.dir(), "a-file");
    writeFileSync(path, "");
    let thrown: unknown;
    try {
      open(join(path, "spool"));
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(Error);
    expect((thrown as Error).message).toContain(join(path, "spool"));
    expect((thrown as Error).message).toContain("ENOTDIR");
    expect(readdirSync(folder.dir())).toEqual(["a-file"]);
  });

  it("creates a missing folder, nested, with mode 0o700, and its file with mode 0o600", () => {
    const dir = join(folder.dir(), "a", "b");
    const { spool } = folder.open({ dir });
    expect(statSync(dir).mode & 0o777).toBe(0o700);
    expect(statSync(join(dir, spoolFiles(dir)[0] as string)).mode & 0o777).toBe(0o600);
    expect(spool.active).toBe(true);
  });

  it("a failure while recovering leftovers throws, and leaves the leftovers on disk for a later opener", () => {
    writeLeftover(folder.dir(), { pid: 4_000_001, start: "0" }, records(ids("e", 3)));
    expect(() => folder.open({ isAlive: () => false, io: { writeSync: () => { throw errno("ENOSPC"); } } })).toThrowError(/recovering the events of earlier processes failed \(ENOSPC\)/);
    expect(spoolFiles(folder.dir())).toHaveLength(1); // the claim; the failed opener's own file is gone
    expect(folder.open().recovered.ids).toEqual(ids("e", 3)); // same pid, no longer held: claimed again
  });
});

describe("a disk that fails after open", () => {
  it("a write failure calls onFailure once, turns the spool off, and never throws", async () => {
    let fail = false;
    const { spool } = folder.open({
      io: {
        writeSync: (fd, buffer, offset, length) => {
          if (fail) throw errno("ENOSPC");
          return writeSync(fd, buffer, offset, Math.min(length, 7)); // short writes, as near a full disk: all must still land
        },
      },
    });
    spool.append("a", event("a"));
    await nextTurn();
    expect(spool.liveCount).toBe(1);
    fail = true;
    spool.append("b", event("b"));
    expect(() => spool.flushWrites()).not.toThrow();
    expect(folder.failures.map((error) => error.message)).toEqual([expect.stringMatching(/: write failed \(ENOSPC\)$/)]);
    expect(spool.active).toBe(false);
    expect(spool.liveCount).toBe(0);
    expect(spool.liveBytes).toBe(0);
    expect(() => spool.append("c", event("c"))).not.toThrow();
    expect(() => spool.remove(["a"])).not.toThrow();
    await spool.sync();
    await spool.close();
    expect(folder.failures).toHaveLength(1);
    // The file stays: the one good record is still there for a later opener.
    expect(folder.open().recovered.ids).toEqual(["a"]);
  });

  it("the real write path writes all bytes of a short write", async () => {
    const first = folder.open({ io: { writeSync: (fd, buffer, offset, length) => writeSync(fd, buffer, offset, Math.min(length, 3)) } }).spool;
    for (const id of ids("e", 5)) first.append(id, event(id));
    await first.close();
    expect(folder.open().recovered.ids).toEqual(ids("e", 5));
  });

  it("an fsync failure calls onFailure once and turns the spool off (a failed fsync cannot be retried safely)", async () => {
    const { spool } = folder.open({ io: { fsync: (_fd, callback) => callback(errno("EIO")) } });
    spool.append("a", event("a"));
    await spool.sync();
    expect(folder.failures.map((error) => error.message)).toEqual([expect.stringMatching(/: fsync failed \(EIO\)$/)]);
    expect(spool.active).toBe(false);
    await spool.sync();
    await spool.close();
    expect(folder.failures).toHaveLength(1);
  });

  it("an onFailure that throws does not break append or flushWrites", async () => {
    const { spool } = Spool.open({
      dir: folder.dir(),
      syncIntervalMs: 60_000,
      onFailure: () => {
        throw new Error("the application's bug");
      },
      io: { writeSync: () => { throw errno("EACCES"); } },
    });
    spool.append("a", event("a"));
    expect(() => spool.flushWrites()).not.toThrow();
    expect(spool.active).toBe(false);
    await spool.close();
  });

  it.skipIf(process.platform !== "linux")("a compaction failure is reported once and the spool goes on with its file intact", async () => {
    // /proc/self/fd tells the temp file's descriptor from the spool file's.
    const isTemp = (fd: number): boolean => readlinkSync(`/proc/self/fd/${fd}`).endsWith(".compact");
    const { spool } = folder.open({
      compactMinDeadBytes: 1,
      io: {
        writeSync: (fd, buffer, offset, length) => {
          if (isTemp(fd)) throw errno("ENOSPC");
          return writeSync(fd, buffer, offset, length);
        },
      },
    });
    for (const id of ids("e", 10)) spool.append(id, event(id));
    await nextTurn();
    spool.remove(ids("e", 8));
    await nextTurn();
    const own = join(folder.dir(), spoolFiles(folder.dir())[0] as string);
    const before = readFileSync(own);
    await spool.sync();
    await spool.sync();
    expect(folder.failures.map((error) => error.message)).toEqual([expect.stringMatching(/: compaction failed \(ENOSPC\)$/)]);
    expect(spool.active).toBe(true);
    expect(readFileSync(own)).toEqual(before);
    expect(spoolFiles(folder.dir())).toHaveLength(1); // the temp file was removed
    spool.append("later", event("later"));
    await spool.close();
    expect(folder.open().recovered.ids).toEqual(["e-00008", "e-00009", "later"]);
  });
});
