import { mkdirSync, unlinkSync } from "node:fs";
import { basename, join, resolve } from "node:path";
import { adoptLeftovers } from "./spool-adopt.js";
import { claimLeftoverFiles } from "./spool-claim.js";
import type { Leftovers } from "./spool-claim.js";
import { flushAtExit, forgetAtExit } from "./spool-exit-flush.js";
import { SpoolFile } from "./spool-file.js";
import { spoolError, spoolIo } from "./spool-io.js";
import { LiveEvents } from "./spool-live-events.js";
import { COMPACT_MIN_DEAD_BYTES, nothingRecovered, realEvery } from "./spool-options.js";
import type { SpoolOptions, SpoolRecovery } from "./spool-options.js";
import { currentOwner, holdFile, isOwnerAlive, releaseFile, spoolFileName } from "./spool-owner.js";
import type { SpoolOwner } from "./spool-owner.js";
import { RecordBuffer } from "./spool-record.js";

export type { SpoolOptions, SpoolRecovery } from "./spool-options.js";

/**
 * The durable spool: an append-only file per process in a shared folder, holding every event
 * `track()` accepted until it has left the client for good. See spool-record.ts for the format,
 * spool-claim.ts for how survivors take over the files of dead processes.
 *
 * Durability: a record reaches the page cache in the turn it was appended (one write per turn,
 * from a microtask), which a SIGKILL cannot undo; an fsync every `syncIntervalMs` and at close
 * bounds what a power cut can take to about one interval.
 */
export class Spool {
  private readonly buffer = new RecordBuffer();
  private readonly live = new LiveEvents();
  private readonly reported = new Set<string>();
  private readonly file: SpoolFile;
  private isActive = true;
  private flushScheduled = false;
  private stopTimer: (() => void) | null = null;
  private closing: Promise<void> | null = null;
  private readonly flushTask = (): void => this.flushWrites();

  private constructor(
    private readonly dir: string,
    path: string,
    private readonly owner: SpoolOwner,
    private readonly options: SpoolOptions,
  ) {
    // After a failed fsync the kernel may have dropped the dirty pages and cleared the error
    // (PostgreSQL's "fsyncgate", 2018): later fsyncs would succeed over lost data. So stop.
    this.file = SpoolFile.create(dir, path, spoolIo(options.io), (error) => this.fail("fsync", error));
  }

  /** Opens the folder synchronously: creates this process's own file and claims every leftover file of a dead owner. Throws a plain Error naming the folder when it cannot be used. */
  static open(options: SpoolOptions): { spool: Spool; recovered: SpoolRecovery } {
    const dir = resolve(options.dir);
    const owner = options.pid === undefined ? currentOwner() : { pid: options.pid, start: "0" };
    try {
      mkdirSync(dir, { recursive: true, mode: 0o700 });
    } catch (error) {
      throw spoolError(dir, "creating the folder", error);
    }
    const name = spoolFileName(owner, "spool");
    const path = join(dir, name);
    let spool: Spool;
    try {
      spool = new Spool(dir, path, owner, options);
    } catch (error) {
      throw spoolError(dir, "creating the spool file", error);
    }
    holdFile(name);
    let recovered: SpoolRecovery;
    try {
      recovered = adoptLeftovers(spool.file, spool.live, claimLeftoverFiles(dir, owner, spool.isAlive));
    } catch (error) {
      spool.isActive = false;
      spool.file.closeNow(); // no fsync can run yet
      unlinkQuietly(path);
      releaseFile(name);
      throw spoolError(dir, "recovering the events of earlier processes", error);
    }
    const intervalMs = Number.isFinite(options.syncIntervalMs) ? Math.max(1, options.syncIntervalMs) : 1000;
    spool.stopTimer = (options.every ?? realEvery)(() => spool.onTimer(), intervalMs);
    flushAtExit(spool);
    return { spool, recovered };
  }

  /** Records one accepted event; written at the end of the current event-loop turn. Never throws. */
  append(eventId: string, event: object): void {
    if (!this.isActive) return;
    let bytes: number;
    try {
      bytes = this.buffer.add(eventId, event);
    } catch {
      return; // JSON.stringify threw (a cycle, a BigInt): no transport could send it either
    }
    this.live.add(eventId, bytes);
    this.scheduleFlush();
  }

  /** Records that these events have left the client for good. Unknown ids are ignored. Never throws. */
  remove(eventIds: readonly string[]): void {
    if (!this.isActive) return;
    const known = eventIds.filter((id) => this.live.delete(id));
    if (known.length === 0) return;
    this.buffer.remove(known);
    this.scheduleFlush();
  }

  /** Bytes on disk of the records of events not yet removed (0 after a disk failure). */
  get liveBytes(): number {
    return this.live.bytes;
  }

  /** Events appended and not yet removed (0 after a disk failure). */
  get liveCount(): number {
    return this.live.count;
  }

  /** False after a disk failure or close(). */
  get active(): boolean {
    return this.isActive;
  }

  /** Bytes in the own file, live and dead records. */
  get fileBytes(): number {
    return this.file.size;
  }

  /** Writes the buffered records now, with one write(2) (a writev of their 64 KiB chunks). */
  flushWrites(): void {
    this.flushScheduled = false;
    const length = this.buffer.length;
    if (length === 0 || !this.isActive) return;
    if (this.live.count === 0) {
      // Everything ever appended has left: the common steady state. Emptying the file is
      // cheaper than writing remove records, and keeps it from growing between compactions.
      this.buffer.clear();
      try {
        this.file.truncate();
      } catch (error) {
        this.report("truncate", error); // the file only keeps dead records longer
      }
      return;
    }
    try {
      this.file.appendAll(this.buffer.chunks(), length);
    } catch (error) {
      this.fail("write", error);
      return;
    }
    this.buffer.clear();
  }

  /** Writes buffered records, compacts the file when dead records dominate it, and fsyncs. Never rejects. */
  sync(): Promise<void> {
    if (this.isActive) this.flushWrites();
    if (this.isActive) this.compactIfWorthIt();
    return this.isActive ? this.file.sync() : this.file.idle();
  }

  /** Claims the files of owners that died since open, as open does (call it now and then when processes come and go). Never throws. */
  claimLeftovers(): SpoolRecovery {
    if (!this.isActive) return nothingRecovered();
    let leftovers: Leftovers;
    try {
      leftovers = claimLeftoverFiles(this.dir, this.owner, this.isAlive);
    } catch (error) {
      this.report("claim", error);
      return nothingRecovered();
    }
    this.flushWrites(); // keep the file in call order
    if (!this.isActive) return nothingRecovered();
    try {
      return adoptLeftovers(this.file, this.live, leftovers);
    } catch (error) {
      this.fail("write", error);
      return nothingRecovered();
    }
  }

  /** Writes, fsyncs and closes; deletes the own file when nothing is live. Idempotent; never rejects. */
  close(): Promise<void> {
    this.closing ??= this.shutDown();
    return this.closing;
  }

  private async shutDown(): Promise<void> {
    this.flushWrites();
    const healthy = this.isActive;
    this.isActive = false;
    this.stopTimer?.();
    forgetAtExit(this);
    if (healthy && this.live.count > 0) await this.file.sync();
    await this.file.close();
    // A failed spool keeps its file: what it holds is unknown, and a later opener sorts it out.
    if (healthy && this.live.count === 0) unlinkQuietly(this.file.path);
    releaseFile(basename(this.file.path));
  }

  private readonly isAlive = (owner: SpoolOwner): boolean => (this.options.isAlive ?? isOwnerAlive)(owner);

  private scheduleFlush(): void {
    if (this.flushScheduled) return;
    this.flushScheduled = true;
    queueMicrotask(this.flushTask);
  }

  private onTimer(): void {
    if (this.file.needsSync || this.buffer.length > 0) void this.sync();
  }

  private compactIfWorthIt(): void {
    const dead = this.file.size - this.live.bytes;
    // Past both bounds, a rewrite costs at most as much as the dead records it drops: linear overall.
    if (dead <= Math.max(this.live.bytes, this.options.compactMinDeadBytes ?? COMPACT_MIN_DEAD_BYTES)) return;
    try {
      // Records are copied byte for byte, so liveBytes stays exact. While an fsync runs this does nothing; the next sync tries again.
      this.file.compact(this.live, join(this.dir, spoolFileName(this.owner, "compact")));
    } catch (error) {
      // Before the rename the original is intact and stays in use; after it, without a descriptor, the spool is done.
      if (this.file.isOpen) this.report("compaction", error);
      else this.fail("write", error);
    }
  }

  /** Reports once per kind; a write or fsync failure also turns the spool off (the client goes on in memory). */
  private fail(what: "write" | "fsync", error: unknown): void {
    this.report(what, error);
    if (!this.isActive) return;
    this.isActive = false;
    this.stopTimer?.();
    forgetAtExit(this);
    this.live.clear();
    this.buffer.clear();
    // The file stays, held until close(): while this process lives nobody claims it, after it a survivor does.
    void this.file.close();
  }

  private report(what: string, error: unknown): void {
    if (this.reported.has(what)) return;
    this.reported.add(what);
    try {
      this.options.onFailure(spoolError(this.dir, what, error));
    } catch {
      // a throwing callback must not break track()
    }
  }
}

function unlinkQuietly(path: string): void {
  try {
    unlinkSync(path);
  } catch {
    // already gone, or left for a later opener
  }
}
