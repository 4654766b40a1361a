import { fdatasync, fstatSync, mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Database from "better-sqlite3";
import { afterAll, describe, expect, it } from "vitest";
import { SqliteStorage } from "../../src/storage/sqlite/sqlite-storage.js";
import { StorageUnavailableError } from "../../src/storage/storage.js";
import { makeEvent, seedInstance } from "./storage-fixtures.js";
import { toStore } from "../helpers/events-to-store.js";

/**
 * "A 200 means durable" with the WAL synced off the event loop (src/storage/sqlite/wal-sync.ts):
 * every write resolves only after an fdatasync of the -wal file that began after its COMMIT. The
 * syncs are held open here (the real fdatasync runs when a test releases one), so each test sees
 * exactly who waits for which sync, on a real SQLite file, without sleeping.
 */
const root = mkdtempSync(join(tmpdir(), "mosaic-wal-sync-"));
let counter = 0;

afterAll(() => rmSync(root, { recursive: true, force: true }));

interface HeldSync {
  fd: number;
  /** Runs the real fdatasync, then answers the waiting sync (with `error` instead, if given). */
  release(error?: NodeJS.ErrnoException): Promise<void>;
}

async function openHeld(): Promise<{ storage: SqliteStorage; held: HeldSync[]; path: string }> {
  counter += 1;
  const path = join(root, `case-${counter}.db`);
  const held: HeldSync[] = [];
  const storage = new SqliteStorage(new Database(path), {
    syncData: (fd, callback) =>
      held.push({
        fd,
        release: (error) =>
          new Promise<void>((resolve) =>
            fdatasync(fd, (syncError) => {
              callback(error ?? syncError);
              resolve();
            }),
          ),
      }),
  });
  const migrated = storage.migrate();
  await (await nextHeld(held)).release(); // the migration's own sync
  await migrated;
  return { storage, held, path };
}

/**
 * The next sync to be held, once the storage asks for it: the loop turns until then (the group
 * commit writes on setImmediate, and the first sync opens the -wal file through libuv first).
 */
async function nextHeld(held: HeldSync[]): Promise<HeldSync> {
  for (let turn = 0; held.length === 0; turn++) {
    if (turn > 100_000) throw new Error("no fdatasync was asked for");
    await new Promise((resolve) => setImmediate(resolve));
  }
  return held.shift() as HeldSync;
}

/** Lets the event loop run a few turns: the group commit writes on setImmediate. */
async function turns(count = 5): Promise<void> {
  for (let i = 0; i < count; i++) await new Promise((resolve) => setImmediate(resolve));
}

function watch<T>(promise: Promise<T>): () => "pending" | "resolved" | "rejected" {
  let state: "pending" | "resolved" | "rejected" = "pending";
  promise.then(
    () => (state = "resolved"),
    () => (state = "rejected"),
  );
  return () => state;
}

/** Seeds an instance, releasing the sync its creation waits for. */
async function seeded(storage: SqliteStorage, held: HeldSync[]): Promise<string> {
  const seeding = seedInstance(storage);
  await (await nextHeld(held)).release();
  return (await seeding).instance.id;
}

describe("SQLite: the WAL is synced before a write resolves", () => {
  it("an ingest call resolves only after an fdatasync of the -wal file that began after its commit", async () => {
    const { storage, held, path } = await openHeld();
    const instanceId = await seeded(storage, held);
    const ingest = storage.ingestEvents(instanceId, toStore([makeEvent(instanceId)]), new Date());
    const state = watch(ingest);
    const sync = await nextHeld(held);
    expect(fstatSync(sync.fd).ino).toBe(statSync(`${path}-wal`).ino);
    await turns();
    expect(state()).toBe("pending");
    await sync.release();
    expect(await ingest).toEqual(["accepted"]);
    await storage.close();
  });

  it("calls committed while a sync runs wait for the next sync, and share it", async () => {
    const { storage, held } = await openHeld();
    const instanceId = await seeded(storage, held);
    const first = watch(storage.ingestEvents(instanceId, toStore([makeEvent(instanceId)]), new Date()));
    const firstSync = await nextHeld(held);
    // Two more calls, committed in later turns while the first sync is still running.
    const second = storage.ingestEvents(instanceId, toStore([makeEvent(instanceId)]), new Date());
    await turns();
    const third = storage.ingestEvents(instanceId, toStore([makeEvent(instanceId)]), new Date());
    const later = [watch(second), watch(third)];
    await turns();
    expect(held).toHaveLength(0); // no second sync while one runs
    await firstSync.release();
    const shared = await nextHeld(held);
    expect(first()).toBe("resolved");
    expect(later.map((state) => state())).toEqual(["pending", "pending"]); // the first sync may predate their frames
    await turns();
    expect(held).toHaveLength(0); // one sync for both
    await shared.release();
    expect(await Promise.all([second, third])).toEqual([["accepted"], ["accepted"]]);
    expect(held).toHaveLength(0);
    await storage.close();
  });

  it("a failed sync fails the calls it covers with StorageUnavailableError; a retry finds the events stored", async () => {
    const { storage, held } = await openHeld();
    const instanceId = await seeded(storage, held);
    const event = makeEvent(instanceId);
    const ingest = storage.ingestEvents(instanceId, toStore([event]), new Date());
    await (await nextHeld(held)).release(Object.assign(new Error("EIO: i/o error, fdatasync"), { code: "EIO" }));
    await expect(ingest).rejects.toBeInstanceOf(StorageUnavailableError);
    // The client retries after its 503: the committed copy answers duplicate, nothing is counted twice.
    const retry = storage.ingestEvents(instanceId, toStore([event]), new Date());
    await (await nextHeld(held)).release();
    expect(await retry).toEqual(["duplicate"]);
    expect((await storage.usage(instanceId)).events).toBe(1);
    await storage.close();
  });

  it("instance creation and key revocation wait for their sync too", async () => {
    const { storage, held } = await openHeld();
    const seeding = seedInstance(storage);
    const creating = watch(seeding);
    const sync = await nextHeld(held);
    await turns();
    expect(creating()).toBe("pending");
    await sync.release();
    await seeding;
    const [key] = await storage.listApiKeys();
    const revoking = storage.revokeApiKey(key!.id, new Date());
    const revoked = watch(revoking);
    const revokeSync = await nextHeld(held);
    await turns();
    expect(revoked()).toBe("pending");
    await revokeSync.release();
    expect((await revoking)?.revokedAt).toBeInstanceOf(Date);
    await storage.close();
  });

  it("close() waits for the sync under way before it closes the database", async () => {
    const { storage, held } = await openHeld();
    const instanceId = await seeded(storage, held);
    const ingest = storage.ingestEvents(instanceId, toStore([makeEvent(instanceId)]), new Date());
    const sync = await nextHeld(held);
    const closing = storage.close();
    const closed = watch(closing);
    await turns();
    expect(closed()).toBe("pending");
    await sync.release();
    expect(await ingest).toEqual(["accepted"]);
    await closing;
  });

  it("an in-memory database has no WAL file and syncs nothing", async () => {
    const syncs: number[] = [];
    const db = new Database(":memory:");
    const storage = new SqliteStorage(db, { syncData: (fd, callback) => (syncs.push(fd), callback(null)) });
    await storage.migrate();
    const { instance } = await seedInstance(storage);
    expect(await storage.ingestEvents(instance.id, toStore([makeEvent(instance.id)]), new Date())).toEqual(["accepted"]);
    expect(syncs).toEqual([]);
    await storage.close();
  });
});
