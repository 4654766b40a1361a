import { createRequire } from "node:module";
import { Worker } from "node:worker_threads";

/**
 * Most WAL the writer lets grow before it checkpoints by itself (the bound under the thread): a
 * size in bytes, turned into pages of each file, whose page size may be 4 or 16 KiB (decision 0001).
 */
export const WAL_BOUND_BYTES = 40 * 1024 * 1024;

/** The writer's own checkpoint threshold, in pages of this database: `WAL_BOUND_BYTES` of WAL. */
export function walBoundPages(pageSizeBytes: number): number {
  return Math.ceil(WAL_BOUND_BYTES / pageSizeBytes);
}

const THREAD_SOURCE = `
const { parentPort, workerData } = require("node:worker_threads");
const Database = require(workerData.driver);
const db = new Database(workerData.path);
db.pragma("busy_timeout = " + workerData.busyTimeoutMs);
parentPort.on("message", (message) => {
  if (message === "close") {
    db.close();
    parentPort.close();
    return;
  }
  db.pragma("wal_checkpoint(PASSIVE)");
  parentPort.postMessage("done");
});
`;

export interface CheckpointThreadOptions {
  /** The database file. */
  path: string;
  busyTimeoutMs: number;
  /** The thread failed or ended on its own: the writer must checkpoint by itself again. */
  onLost(error: Error): void;
}

/**
 * WAL checkpoints on a thread of their own. A checkpoint copies the WAL's pages into the database
 * file and fsyncs both; run by the writing connection (SQLite's automatic checkpoint, after a
 * COMMIT) it blocks the event loop for all of it: 25 % of the loop's ingest time measured by
 * bench/server-storage-ingest.bench.mjs. Here a second connection, on a worker thread, runs a
 * PASSIVE checkpoint whenever the writer has committed and no checkpoint is under way; PASSIVE
 * never blocks the writer. The writer keeps its own automatic checkpoint with a higher threshold
 * (`walBoundPages`) as the bound: a PASSIVE checkpoint cannot rewind a WAL that is written
 * meanwhile, so the writer's own checkpoint, with nothing written during it, is what lets SQLite
 * reuse the WAL from its start; by then the thread has copied nearly all of it.
 *
 * The thread's code is plain JavaScript in a string (eval), so it runs the same from the
 * TypeScript sources under the tests and from dist. It opens the database with better-sqlite3
 * itself: the one other place than open-storage.ts that opens a connection.
 */
export class CheckpointThread {
  readonly #worker: Worker;
  #busy = false;
  #alive = true;

  constructor(options: CheckpointThreadOptions) {
    const driver = createRequire(import.meta.url).resolve("better-sqlite3");
    this.#worker = new Worker(THREAD_SOURCE, { eval: true, workerData: { driver, path: options.path, busyTimeoutMs: options.busyTimeoutMs } });
    // An idle checkpointer never keeps the process alive.
    this.#worker.unref();
    this.#worker.on("message", () => {
      this.#busy = false;
    });
    const lost = (error: Error): void => {
      if (!this.#alive) return;
      this.#alive = false;
      options.onLost(error);
    };
    this.#worker.on("error", lost);
    this.#worker.on("exit", (code) => lost(new Error(`the checkpoint thread exited with code ${code}`)));
  }

  /** The writer committed: start a checkpoint unless one is under way. */
  nudge(): void {
    if (!this.#alive || this.#busy) return;
    this.#busy = true;
    this.#worker.postMessage("checkpoint");
  }

  /** Lets a checkpoint under way finish, closes the thread's connection and waits for its end. */
  async close(): Promise<void> {
    if (!this.#alive) return;
    this.#alive = false;
    this.#worker.ref();
    const exited = new Promise<void>((resolve) => this.#worker.once("exit", () => resolve()));
    this.#worker.postMessage("close");
    await exited;
  }
}
