import type { SpoolIo } from "./spool-io.js";
import type { SpoolOwner } from "./spool-owner.js";

export interface SpoolOptions {
  /** The folder; created (recursive, mode 0o700) when missing. An existing folder keeps its mode. */
  readonly dir: string;
  /** How often buffered writes are fsync'ed (an unref'd timer; never keeps the process alive). */
  readonly syncIntervalMs: number;
  /** Called at most once per kind of failure (write, fsync, truncate, compaction, claim) after open. A write or fsync failure also turns the spool off. */
  readonly onFailure: (error: Error) => void;
  /** Tests: this process's pid in file names (the start token is then unknown, "0"). @default process.pid */
  readonly pid?: number;
  /** Tests: whether another owner still runs. @default process.kill(pid, 0) plus the Linux start time check */
  readonly isAlive?: (owner: SpoolOwner) => boolean;
  /** Tests: the timer that drives the periodic fsync. @default an unref'd setInterval */
  readonly every?: (fn: () => void, ms: number) => () => void;
  /** Dead bytes (delivered events, remove records) that must pile up before the file is compacted; compaction also waits until they exceed the live bytes. @default 1 MiB */
  readonly compactMinDeadBytes?: number;
  /** Tests: replace the write and fsync calls to provoke disk failures. */
  readonly io?: Partial<SpoolIo>;
}

export interface SpoolRecovery {
  /** Live events left by dead owners, oldest first, each event_id once, already durable in this process's own file. */
  readonly events: unknown[];
  /** The event id of each of `events`, at the same index: pass them to `remove`. */
  readonly ids: string[];
  /** Records skipped as torn or corrupt (bad checksum, bad JSON, missing newline at the tail). */
  readonly corruptRecords: number;
  /** How many leftover files this process claimed. */
  readonly claimedFiles: number;
}

export const COMPACT_MIN_DEAD_BYTES = 1024 * 1024;

export function nothingRecovered(): SpoolRecovery {
  return { events: [], ids: [], corruptRecords: 0, claimedFiles: 0 };
}

/** The default timer of the periodic fsync: unref'd, so it never keeps the process alive. */
export function realEvery(fn: () => void, ms: number): () => void {
  const timer = setInterval(fn, ms);
  timer.unref?.();
  return () => clearInterval(timer);
}
