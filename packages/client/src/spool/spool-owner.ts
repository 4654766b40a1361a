import { randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";

/*
 * Who owns a spool file. Every file in a spool folder is named after the process that owns it:
 *
 *   <pid>-<start>-<16 hex>.<spool|claim|compact>
 *
 * <pid> lets any process on the host test the owner's liveness with process.kill(pid, 0).
 * <start> is the owner's start time in clock ticks since boot (/proc/<pid>/stat, field 22) on
 * Linux, "0" where unknown. It makes pid reuse harmless: when the pid is alive but the process
 * behind it started at another time, the owner is dead and its file is claimable. Without it
 * (macOS, Windows) a leftover whose pid was reused waits until that unrelated process exits.
 * The random tag keeps two files of one process apart (a claim, a compaction, a second spool).
 */

export interface SpoolOwner {
  readonly pid: number;
  /** Start time token; "0" when unknown. */
  readonly start: string;
}

export type SpoolFileKind = "spool" | "claim" | "compact";

export interface SpoolFileName {
  readonly owner: SpoolOwner;
  readonly kind: SpoolFileKind;
}

/** pid >= 1: a file named with pid 0 was not made by the spool, and kill(0, 0) would test our own process group. */
const NAME = /^([1-9][0-9]{0,9})-([0-9]{1,20})-[0-9a-f]{16}\.(spool|claim|compact)$/;
const UNKNOWN_START = "0";

export function spoolFileName(owner: SpoolOwner, kind: SpoolFileKind): string {
  return `${owner.pid}-${owner.start}-${randomBytes(8).toString("hex")}.${kind}`;
}

/** The owner and kind of a spool file's name; null for any other name (such files are never touched). */
export function parseSpoolFileName(name: string): SpoolFileName | null {
  const match = NAME.exec(name);
  if (match === null) return null;
  return { owner: { pid: Number(match[1]), start: match[2] as string }, kind: match[3] as SpoolFileKind };
}

/** The start time token of a process, or "0" when it cannot be read (not Linux, no /proc, gone). */
export function processStartToken(pid: number): string {
  if (process.platform !== "linux") return UNKNOWN_START;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "latin1");
    // Field 2 (the command) is in parentheses and may hold spaces and ")": fields 3.. follow the LAST ")".
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    const start = fields[22 - 3];
    return start !== undefined && /^[0-9]{1,20}$/.test(start) ? start : UNKNOWN_START;
  } catch {
    return UNKNOWN_START;
  }
}

/** This process as a spool owner. */
export function currentOwner(): SpoolOwner {
  return { pid: process.pid, start: processStartToken(process.pid) };
}

/**
 * Whether the process that owns a file may still be running. Errs towards "alive": claiming
 * a live owner's file would take events it is still sending and writing (see spool-claim.ts),
 * while leaving a dead owner's file only delays its events until a later open.
 */
export function isOwnerAlive(owner: SpoolOwner): boolean {
  try {
    process.kill(owner.pid, 0);
  } catch (error) {
    // EPERM: it exists but belongs to another user; anything else but ESRCH: cannot tell.
    if ((error as NodeJS.ErrnoException).code === "ESRCH") return false;
  }
  if (owner.start === UNKNOWN_START) return true;
  const start = processStartToken(owner.pid);
  return start === UNKNOWN_START || start === owner.start;
}

/*
 * The files of spools of THIS process, and of this thread: which are held open, and which were
 * closed (with live events left in them) here. A file named with our own pid and start time
 * belongs to this process, but not necessarily to this thread: worker threads share the pid and
 * each has its own globalThis, so a file this thread neither holds nor released may be another
 * thread's open spool and is left alone until the process is gone (then a survivor claims it).
 * A file named with our pid and ANOTHER start time was left by an earlier process that had our
 * pid (a container restart often reuses the same small pid): claimable at once.
 * Kept on globalThis under a registered symbol so that two copies of the SDK loaded into one
 * thread (a bundle and node_modules) still see each other's files. Keyed by file name, not
 * path: one folder reached by two paths (a symlink, macOS's /tmp and /private/tmp) must not
 * make a spool's own file look unheld; the names' 64 random bits keep them apart.
 */
const FILES = Symbol.for("@mosaicstack/telemetry-client/spool-files");

interface ThreadFiles {
  readonly held: Set<string>;
  readonly released: Set<string>;
}

function threadFiles(): ThreadFiles {
  const registry = globalThis as { [FILES]?: ThreadFiles };
  return (registry[FILES] ??= { held: new Set<string>(), released: new Set<string>() });
}

export function holdFile(name: string): void {
  threadFiles().released.delete(name);
  threadFiles().held.add(name);
}

export function releaseFile(name: string): void {
  if (threadFiles().held.delete(name)) threadFiles().released.add(name);
}

/** A file of this thread's that no spool holds (a claim whose adoption may fail). */
export function markReleased(name: string): void {
  threadFiles().released.add(name);
}

/** Whether a file named with this process's pid may be claimed by a spool of this thread. */
export function isOwnFileClaimable(name: string, owner: SpoolOwner, me: SpoolOwner): boolean {
  const files = threadFiles();
  if (files.held.has(name)) return false;
  if (files.released.has(name)) return true;
  return owner.start !== me.start && owner.start !== UNKNOWN_START && me.start !== UNKNOWN_START;
}
