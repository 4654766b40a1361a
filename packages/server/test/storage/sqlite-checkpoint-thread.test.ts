import { mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Database from "better-sqlite3";
import { afterAll, describe, expect, it } from "vitest";
import { WAL_BOUND_BYTES } from "../../src/storage/sqlite/checkpoint-thread.js";
import { SqliteStorage } from "../../src/storage/sqlite/sqlite-storage.js";
import { makeEvent, seedInstance } from "./storage-fixtures.js";
import { toStore } from "../helpers/events-to-store.js";

/**
 * WAL checkpoints on their own thread (src/storage/sqlite/checkpoint-thread.ts): a real worker
 * thread with its own connection to a real SQLite file.
 */
const root = mkdtempSync(join(tmpdir(), "mosaic-checkpoint-thread-"));
let counter = 0;

afterAll(() => rmSync(root, { recursive: true, force: true }));

function freshPath(): string {
  counter += 1;
  return join(root, `case-${counter}.db`);
}

/** Turns the loop until `done()` holds (the thread works on its own time), at most ~10 s. */
async function until(done: () => boolean): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (!done()) {
    if (Date.now() > deadline) throw new Error("condition not reached");
    await new Promise((resolve) => setImmediate(resolve));
  }
}

describe("SQLite: WAL checkpoints on a thread", () => {
  it("raises the writer's own threshold to the bound, and the thread copies committed pages into the database file", async () => {
    const path = freshPath();
    const db = new Database(path);
    const storage = new SqliteStorage(db, { checkpointThread: true });
    await storage.migrate();
    expect(db.pragma("wal_autocheckpoint", { simple: true })).toBe(WAL_BOUND_BYTES / 16_384);
    const { instance } = await seedInstance(storage);
    const before = statSync(path).size;
    // About 2,000 events: some 2 MB of WAL, far below the writer's own threshold (40 MiB), so only
    // the thread can have copied them into the database file.
    for (let batch = 0; batch < 20; batch++) {
      await storage.ingestEvents(instance.id, toStore(Array.from({ length: 100 }, () => makeEvent(instance.id))), new Date());
    }
    await until(() => statSync(path).size > before + 1_000_000);
    expect((await storage.usage(instance.id)).events).toBe(2000);
    await storage.close();
    expect(db.open).toBe(false);
    // Closed cleanly: the file opens again with everything in it.
    const reopened = new Database(path, { readonly: true });
    try {
      expect(reopened.prepare("SELECT COUNT(*) FROM events").pluck().get()).toBe(2000);
    } finally {
      reopened.close();
    }
  });

  it("leaves SQLite's own checkpoints alone when the thread is off or the database is in memory", async () => {
    const onFile = new Database(freshPath());
    const plain = new SqliteStorage(onFile);
    expect(onFile.pragma("wal_autocheckpoint", { simple: true })).toBe(1000);
    await plain.close();
    const inMemory = new Database(":memory:");
    const memory = new SqliteStorage(inMemory, { checkpointThread: true });
    await memory.migrate();
    const { instance } = await seedInstance(memory);
    expect(await memory.ingestEvents(instance.id, toStore([makeEvent(instance.id)]), new Date())).toEqual(["accepted"]);
    await memory.close();
  });
});
