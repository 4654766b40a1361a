import { mkdirSync, mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Database from "better-sqlite3";
import { afterAll, describe, expect, it } from "vitest";
import { openStorage, migrate } from "../../src/storage/open-storage.js";
import { walBoundPages } from "../../src/storage/sqlite/checkpoint-thread.js";
import { SqliteStorage } from "../../src/storage/sqlite/sqlite-storage.js";
import { StorageUnavailableError } from "../../src/storage/storage.js";
import { makeEvent, seedInstance } from "./storage-fixtures.js";
import { toStore } from "../helpers/events-to-store.js";

const root = mkdtempSync(join(tmpdir(), "mosaic-sqlite-"));

afterAll(() => rmSync(root, { recursive: true, force: true }));

describe("SQLite storage: engine specifics", () => {
  it("creates the parent folder with mode 0700", async () => {
    const dir = join(root, "nested", "deeper");
    const storage = await openStorage({ engine: "sqlite", path: join(dir, "t.db") });
    await storage.close();
    expect(statSync(dir).mode & 0o777).toBe(0o700);
  });

  it("runs in WAL mode with 16 KiB pages, synchronous=NORMAL (the WAL is synced by WalSync), a busy timeout, foreign keys on and a 64 MiB page cache", async () => {
    const db = new Database(join(root, "pragmas.db"));
    const storage = new SqliteStorage(db);
    expect(db.pragma("journal_mode", { simple: true })).toBe("wal");
    expect(db.pragma("page_size", { simple: true })).toBe(16_384); // a new file: a quarter of the WAL frames per commit
    expect(db.pragma("synchronous", { simple: true })).toBe(1); // 1 = NORMAL: each write awaits its own WAL fdatasync
    expect(db.pragma("busy_timeout", { simple: true })).toBe(5000);
    expect(db.pragma("foreign_keys", { simple: true })).toBe(1);
    expect(db.pragma("cache_size", { simple: true })).toBe(-64 * 1024); // 64 MiB: the dedup index stays cached
    await storage.close();
    expect(db.open).toBe(false);
  });

  it("keeps the page size of a file created before: its data reads back, ingest goes on, the checkpoint bound is in its pages", async () => {
    const path = join(root, "old-pages.db");
    const before = new SqliteStorage(new Database(path), { pageSizeBytes: 4096 });
    await before.migrate();
    const { instance } = await seedInstance(before);
    expect(await before.ingestEvents(instance.id, toStore([makeEvent(instance.id)]), new Date())).toEqual(["accepted"]);
    await before.close();

    const db = new Database(path);
    const storage = new SqliteStorage(db, { checkpointThread: true });
    await storage.migrate();
    expect(db.pragma("page_size", { simple: true })).toBe(4096);
    expect(db.pragma("wal_autocheckpoint", { simple: true })).toBe(walBoundPages(4096)); // 40 MiB of 4 KiB pages
    expect((await storage.usage(instance.id)).events).toBe(1);
    expect(await storage.ingestEvents(instance.id, toStore([makeEvent(instance.id)]), new Date())).toEqual(["accepted"]);
    expect((await storage.usage(instance.id)).events).toBe(2);
    await storage.close();
  });

  it("refuses a page size SQLite would silently ignore", () => {
    for (const pageSizeBytes of [10_000, 256, 131_072, Number.NaN]) {
      const db = new Database(":memory:");
      expect(() => new SqliteStorage(db, { pageSizeBytes })).toThrow(/pageSizeBytes must be a power of two from 512 to 65536/);
      db.close();
    }
  });

  it("maps a write lock held past busy_timeout to StorageUnavailableError and stays usable", async () => {
    const path = join(root, "busy.db");
    const storage = new SqliteStorage(new Database(path), { busyTimeoutMs: 20 });
    await storage.migrate();
    const { instance } = await seedInstance(storage);
    const other = new Database(path);
    other.exec("BEGIN IMMEDIATE"); // another process holding the write lock
    try {
      await expect(storage.ingestEvents(instance.id, toStore([makeEvent(instance.id)]), new Date())).rejects.toBeInstanceOf(
        StorageUnavailableError,
      );
    } finally {
      other.exec("ROLLBACK");
      other.close();
    }
    expect(await storage.ingestEvents(instance.id, toStore([makeEvent(instance.id)]), new Date())).toEqual(["accepted"]);
    expect((await storage.usage(instance.id)).events).toBe(1);
    await storage.close();
  });

  it("migrate() reports what it applied, then nothing on a current schema", async () => {
    const target = { engine: "sqlite" as const, path: join(root, "migrate", "t.db") };
    expect(await migrate(target)).toEqual({ applied: [1, 2, 3, 4, 5, 6, 7, 8, 9], version: 9 });
    expect(await migrate(target)).toEqual({ applied: [], version: 9 });
  });

  it("opens the same file from two handles at once and both migrate without error", async () => {
    const path = join(root, "twice", "t.db");
    const [a, b] = await Promise.all([openStorage({ engine: "sqlite", path }), openStorage({ engine: "sqlite", path })]);
    const { instance } = await seedInstance(a);
    expect(await b.ingestEvents(instance.id, toStore([makeEvent(instance.id)]), new Date())).toEqual(["accepted"]);
    await Promise.all([a.close(), b.close()]);
  });

  it("fails to open an unusable path with StorageUnavailableError", async () => {
    const path = join(root, "not-a-db", "t.db");
    mkdirSync(path, { recursive: true }); // a folder where the file should be
    await expect(openStorage({ engine: "sqlite", path })).rejects.toBeInstanceOf(StorageUnavailableError);
  });
});
