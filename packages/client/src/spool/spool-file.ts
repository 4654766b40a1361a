import { fsyncSync, ftruncateSync, openSync } from "node:fs";
import { compactSpoolFile } from "./spool-compaction.js";
import { closeQuietly, fsyncAsync, syncFolder, syncFolderNow, writeAll, writeAllGathered } from "./spool-io.js";
import type { SpoolIo } from "./spool-io.js";
import { SpoolSyncRunner } from "./spool-sync-runner.js";

/**
 * One process's own spool file: its descriptor, how many bytes it holds, and the fsyncs that
 * make them durable. It knows nothing of events; spool.ts decides what to write.
 * Opened with O_APPEND, so after a truncation the next write lands at offset 0.
 */
export class SpoolFile {
  private written = 0;
  /** Written since the last fsync began. */
  private dirty = false;
  /** The folder entry (the file was created, or renamed by compaction) is not yet known to be on disk. */
  private folderDirty = true;
  private readonly syncer = new SpoolSyncRunner(() => this.runSync());

  private constructor(
    readonly dir: string,
    readonly path: string,
    private fd: number | null,
    private readonly io: SpoolIo,
    private readonly onSyncError: (error: unknown) => void,
  ) {}

  /** Creates the file, mode 0o600, failing when the name exists; throws when it cannot. */
  static create(dir: string, path: string, io: SpoolIo, onSyncError: (error: unknown) => void): SpoolFile {
    return new SpoolFile(dir, path, openSync(path, "ax", 0o600), io, onSyncError);
  }

  /** Bytes in the file: live and dead records. */
  get size(): number {
    return this.written;
  }

  get isOpen(): boolean {
    return this.fd !== null;
  }

  /** Whether an fsync would have anything to do. */
  get needsSync(): boolean {
    return this.dirty || this.folderDirty;
  }

  /** Appends `length` bytes of `data` with write(2); throws on failure (the file may then end in a torn record). */
  append(data: Uint8Array, length: number): void {
    if (this.fd === null) throw new Error("the spool file is closed");
    writeAll(this.io, this.fd, data, length);
    this.written += length;
    this.dirty = true;
  }

  /** Appends the buffers in order with writev(2), one call for up to 512 of them; throws on failure (the file may then end in a torn record). */
  appendAll(chunks: readonly Uint8Array[], length: number): void {
    if (this.fd === null) throw new Error("the spool file is closed");
    writeAllGathered(this.io, this.fd, chunks);
    this.written += length;
    this.dirty = true;
  }

  /** Empties the file; throws on failure. */
  truncate(): void {
    if (this.written === 0 || this.fd === null) return;
    ftruncateSync(this.fd, 0);
    this.written = 0;
    this.dirty = true;
  }

  /** fsyncs the file and its folder, blocking: for data that must be on disk before the next step. */
  syncNow(): void {
    if (this.fd === null) return;
    fsyncSync(this.fd);
    syncFolderNow(this.dir);
    this.dirty = false;
    this.folderDirty = false;
  }

  /** fsyncs on the thread pool; never rejects (a failure goes to onSyncError). */
  sync(): Promise<void> {
    return this.syncer.request();
  }

  /** Resolves once no fsync runs or waits. */
  idle(): Promise<void> {
    return this.syncer.idle();
  }

  /**
   * Rewrites the file with only `live`'s records. Returns false and does nothing while an fsync
   * runs: it holds the descriptor the rename retires. Throws when compaction fails; the file is
   * then still open as it was, unless reopening the renamed file failed (isOpen is false).
   */
  compact(live: { has(id: string): boolean }, tempPath: string): boolean {
    if (this.syncer.busy || this.fd === null) return false;
    const bytes = compactSpoolFile(this.path, tempPath, live, this.io);
    const retired = this.fd;
    try {
      this.fd = openSync(this.path, "a", 0o600);
    } catch (error) {
      this.fd = null;
      throw error;
    } finally {
      closeQuietly(retired); // after the rename it writes to a deleted file
    }
    this.written = bytes;
    this.dirty = false; // compactSpoolFile fsynced the new file
    this.folderDirty = true;
    return true;
  }

  /** Closes the descriptor once no fsync uses it. */
  async close(): Promise<void> {
    await this.syncer.idle();
    this.closeNow();
  }

  /** Closes the descriptor at once: only where no fsync can be running. */
  closeNow(): void {
    if (this.fd === null) return;
    closeQuietly(this.fd);
    this.fd = null;
  }

  private async runSync(): Promise<void> {
    const fd = this.fd;
    if (fd === null || !this.needsSync) return;
    const folder = this.folderDirty;
    this.dirty = false;
    this.folderDirty = false;
    try {
      await fsyncAsync(this.io, fd);
      if (folder) await syncFolder(this.dir);
    } catch (error) {
      this.onSyncError(error);
    }
  }
}
