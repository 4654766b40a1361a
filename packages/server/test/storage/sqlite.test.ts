import { mkdirSync, mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Database from "better-sqlite3";
import { afterAll, describe, expect, it } from "vitest";
import { openStorage, migrate } from "../../src/storage/open-storage.js";
import { groupKey } from "../../src/aggregation/group-key.js";
import { quantileFromBins } from "../../src/predictions/quantiles.js";
import { ZERO_BIN, binValue, sketchBin } from "../../src/aggregation/sketch-mapping.js";
import { walBoundPages } from "../../src/storage/sqlite/checkpoint-thread.js";
import { SQLITE_MIGRATIONS } from "../../src/storage/sqlite/sqlite-migrations.js";
import { SqliteStorage } from "../../src/storage/sqlite/sqlite-storage.js";
import { SKETCH_METRICS } from "../../src/aggregation/sketch-metrics.js";
import { StorageUnavailableError } from "../../src/storage/storage.js";
import { storageContract } from "./storage-contract.js";
import { makeEvent, seedInstance } from "./storage-fixtures.js";
import { toStore } from "../helpers/events-to-store.js";

const root = mkdtempSync(join(tmpdir(), "mosaic-sqlite-"));
let counter = 0;
let lastPath = "";

afterAll(() => rmSync(root, { recursive: true, force: true }));

describe("SQLite storage: contract", () => {
  storageContract({
    async fresh() {
      counter += 1;
      lastPath = join(root, `case-${counter}`, "telemetry.db");
      return openStorage({ engine: "sqlite", path: lastPath });
    },
    async reopen() {
      return openStorage({ engine: "sqlite", path: lastPath });
    },
  });
});

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
    expect(await migrate(target)).toEqual({ applied: [1, 2, 3, 4, 5], version: 5 });
    expect(await migrate(target)).toEqual({ applied: [], version: 5 });
  });

  it("migrating a version 1 file turns its bin rows into one sketch per (group, metric): same bins, same quantiles, ingest adds to them", async () => {
    const path = join(root, "version-1.db");
    const old = new SqliteStorage(new Database(path), {}, SQLITE_MIGRATIONS.slice(0, 1));
    expect(await old.applyMigrations()).toEqual({ applied: [1], version: 1 });
    await old.close();
    // Version 1's rows as its ingest wrote them: one aggregate_groups row, one group_bins row per bin.
    const dims = { provider: "anthropic", model: "m", task_type: "implementation", complexity: "medium" } as const;
    const key = groupKey(dims, 0);
    const bins = new Map(SKETCH_METRICS.map((metric, m) => [metric, new Map<number, number>([[ZERO_BIN, m], [10 + m, 3], [11, 1], [700, 2], [-5, 1]])]));
    bins.get("output_tokens")?.delete(ZERO_BIN);
    const raw = new Database(path);
    raw.prepare("INSERT INTO aggregate_groups VALUES (?, 0, ?, 7, 1, 0, 0, 0, 0, 0, 0, 0)").run(key, groupKey(dims, 1));
    const insertBin = raw.prepare("INSERT INTO group_bins (group_key, metric, bin, count) VALUES (?, ?, ?, ?)");
    for (const [metric, counts] of bins) for (const [bin, count] of counts) if (count > 0) insertBin.run(key, metric, bin, count);
    raw.close();

    const storage = await openStorage({ engine: "sqlite", path });
    const group = (await storage.readGroups([key])).get(key);
    for (const metric of SKETCH_METRICS) {
      const expected = new Map([...(bins.get(metric) ?? [])].filter(([, count]) => count > 0));
      expect(group?.bins[metric], metric).toEqual(expected);
      const located = (await storage.readQuantileBins([key], [0, 0.1, 0.5, 0.9, 1])).get(key)?.[metric] ?? [];
      expect(located.map((bin) => (bin === null ? null : binValue(bin))), metric).toEqual([0, 0.1, 0.5, 0.9, 1].map((q) => quantileFromBins(expected, q)));
    }
    const check = new Database(path, { readonly: true });
    expect(check.prepare("SELECT count(*) AS n FROM sqlite_schema WHERE name = 'group_bins'").get()).toEqual({ n: 0 });
    check.close();

    const { instance } = await seedInstance(storage);
    // Past the stored range's top (bin 700): the merge widens the BLOB.
    const event = makeEvent(instance.id, { ...dims, actual_input_tokens: 1_000_000_000 });
    expect(sketchBin(1_000_000_000)).toBeGreaterThan(700);
    expect(await storage.ingestEvents(instance.id, toStore([event]), new Date())).toEqual(["accepted"]);
    const after = (await storage.readGroups([key])).get(key);
    expect(after?.bins.input_tokens.get(sketchBin(1_000_000_000))).toBe(1);
    expect(after?.bins.input_tokens.get(11)).toBe(1);
    expect([...(after?.bins.input_tokens.values() ?? [])].reduce((a, b) => a + b, 0)).toBe(7 + 1);
    await storage.close();
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
