import { close, fdatasync, fsync, open } from "node:fs";
import { dirname } from "node:path";

export interface WalSyncOptions {
  /** The database file; its WAL is `${databasePath}-wal`. */
  databasePath: string;
  /** fdatasync, injectable so a test can hold a sync open and see who waits for it. */
  syncData?: (fd: number, callback: (error: NodeJS.ErrnoException | null) => void) => void;
}

/**
 * Makes committed WAL frames durable without blocking the event loop.
 *
 * SQLite runs with synchronous=NORMAL: COMMIT writes its frames to the -wal file (into the OS
 * page cache) and returns without an fsync. Every write then awaits `afterCommit()`, which
 * resolves once an fdatasync of the -wal file that *began after that COMMIT* has finished, so
 * the frames are on disk before the caller answers: the guarantee of synchronous=FULL, but the
 * fsync waits on a libuv thread while the loop parses the next requests, and one fdatasync covers
 * every commit made before it began (commits made while one runs share the next).
 *
 * Why this is sound (docs/decisions/0004-wal-sync-off-the-loop.md): fdatasync flushes the file's
 * data whichever descriptor wrote it; a WAL frame chain is replayed only up to its first
 * missing frame, so a later sync also covers every earlier commit; a checkpoint syncs the WAL
 * itself before copying it. The first sync also fsyncs the folder, because the -wal file was
 * created since the folder was last synced (SQLite does the same on its first WAL sync).
 */
export class WalSync {
  readonly #walPath: string;
  readonly #folder: string;
  readonly #syncData: NonNullable<WalSyncOptions["syncData"]>;
  #fd: Promise<number> | null = null;
  #folderSynced = false;
  /** The sync running now, if any. */
  #running: Promise<void> | null = null;
  /** The sync that will start when the running one ends: shared by every commit made meanwhile. */
  #next: Promise<void> | null = null;
  #closed = false;

  constructor(options: WalSyncOptions) {
    this.#walPath = `${options.databasePath}-wal`;
    this.#folder = dirname(options.databasePath);
    this.#syncData = options.syncData ?? fdatasync;
  }

  /** Resolves when every WAL frame written before this call is on disk. */
  afterCommit(): Promise<void> {
    if (this.#closed) return Promise.reject(new Error("the WAL sync is closed"));
    if (this.#running === null) return this.#start();
    // The running sync may have begun before this commit's frames were written: wait for the next.
    this.#next ??= this.#running
      .then(noop, noop)
      .then(() => {
        this.#next = null;
        return this.#start();
      });
    return this.#next;
  }

  /** Waits for the syncs under way, then closes the file descriptor. */
  async close(): Promise<void> {
    this.#closed = true;
    while (this.#running !== null || this.#next !== null) await (this.#next ?? this.#running)?.then(noop, noop);
    if (this.#fd !== null) {
      const fd = await this.#fd.catch(() => null);
      this.#fd = null;
      if (fd !== null) await new Promise<void>((resolve) => close(fd, () => resolve()));
    }
  }

  #start(): Promise<void> {
    const sync = this.#sync();
    this.#running = sync;
    const clear = (): void => {
      if (this.#running === sync) this.#running = null;
    };
    sync.then(clear, clear);
    return sync;
  }

  async #sync(): Promise<void> {
    // Opened once, read-only: fdatasync needs no write access, and SQLite keeps the -wal file
    // (same inode) while its connection is open, truncating or rewinding it but never replacing it.
    this.#fd ??= withCallback<number>((done) => open(this.#walPath, "r", done));
    let fd: number;
    try {
      fd = await this.#fd;
    } catch (error) {
      this.#fd = null;
      throw error;
    }
    await withCallback<void>((done) => this.#syncData(fd, done));
    if (!this.#folderSynced) {
      await syncFolder(this.#folder);
      this.#folderSynced = true;
    }
  }
}

function noop(): void {}

function withCallback<T>(call: (done: (error: NodeJS.ErrnoException | null, value?: T) => void) => void): Promise<T> {
  return new Promise<T>((resolve, reject) => call((error, value) => (error ? reject(error) : resolve(value as T))));
}

async function syncFolder(folder: string): Promise<void> {
  const fd = await withCallback<number>((done) => open(folder, "r", done));
  try {
    await withCallback<void>((done) => fsync(fd, done));
  } finally {
    await new Promise<void>((resolve) => close(fd, () => resolve()));
  }
}
