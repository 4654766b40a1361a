import { close, closeSync, fsync, fsyncSync, open, openSync, writeSync, writevSync } from "node:fs";

/** The disk calls made after open that a test may replace to provoke a failure (ENOSPC, EIO). */
export interface SpoolIo {
  writeSync(fd: number, buffer: Uint8Array, offset: number, length: number): number;
  /** Gathers several buffers into one write(2); may write fewer bytes than they hold. */
  writevSync(fd: number, buffers: Uint8Array[]): number;
  fsync(fd: number, callback: (error: NodeJS.ErrnoException | null) => void): void;
}

export const realIo: SpoolIo = {
  writeSync: (fd, buffer, offset, length) => writeSync(fd, buffer, offset, length),
  writevSync: (fd, buffers) => writevSync(fd, buffers),
  fsync: (fd, callback) => fsync(fd, callback),
};

/**
 * The real calls with a test's replacements. A test that replaces writeSync gets a writevSync
 * made of it (one buffer at a time), so every write of the spool goes through its replacement.
 */
export function spoolIo(overrides: Partial<SpoolIo> = {}): SpoolIo {
  const io = { ...realIo, ...overrides };
  const { writeSync: one } = io;
  if (overrides.writeSync !== undefined && overrides.writevSync === undefined) {
    io.writevSync = (fd, buffers) => {
      let written = 0;
      for (const buffer of buffers) {
        const n = one(fd, buffer, 0, buffer.length);
        written += n;
        if (n < buffer.length) break;
      }
      return written;
    };
  }
  return io;
}

/** Writes all `length` bytes from `offset`: near a full disk one write(2) to a regular file may take fewer. */
export function writeAll(io: SpoolIo, fd: number, buffer: Uint8Array, length: number, offset = 0): void {
  while (offset < length) {
    const written = io.writeSync(fd, buffer, offset, length - offset);
    if (written <= 0) throw Object.assign(new Error("write(2) wrote nothing"), { code: "EIO" });
    offset += written;
  }
}

/** Buffers per writev(2): below every system's IOV_MAX (1024 on Linux). */
const WRITEV_MAX_BUFFERS = 512;

/** Writes all the buffers, in order, with one writev(2) per 512 of them; finishes a short write buffer by buffer. */
export function writeAllGathered(io: SpoolIo, fd: number, buffers: readonly Uint8Array[]): void {
  for (let first = 0; first < buffers.length; first += WRITEV_MAX_BUFFERS) {
    const group = buffers.slice(first, first + WRITEV_MAX_BUFFERS);
    let skip = io.writevSync(fd, group);
    for (const buffer of group) {
      if (skip >= buffer.length) {
        skip -= buffer.length;
        continue;
      }
      writeAll(io, fd, buffer, buffer.length, skip);
      skip = 0;
    }
  }
}

/** fsync on libuv's thread pool, so the event loop goes on while the disk works. */
export function fsyncAsync(io: SpoolIo, fd: number): Promise<void> {
  return new Promise((resolve, reject) => io.fsync(fd, (error) => (error === null ? resolve() : reject(error))));
}

/*
 * A new or renamed file survives a power cut only once its folder's entry is on disk too.
 * Best effort: Windows cannot open a folder and some file systems refuse to fsync one; the
 * file's own data is synced separately either way.
 */

export function syncFolderNow(dir: string): void {
  let fd: number | undefined;
  try {
    fd = openSync(dir, "r");
    fsyncSync(fd);
  } catch {
    // see above
  } finally {
    if (fd !== undefined) closeQuietly(fd);
  }
}

export function syncFolder(dir: string): Promise<void> {
  return new Promise((resolve) => {
    open(dir, "r", (openError, fd) => {
      if (openError !== null) return resolve();
      fsync(fd, () => close(fd, () => resolve()));
    });
  });
}

export function closeQuietly(fd: number): void {
  try {
    closeSync(fd);
  } catch {
    // closing is cleanup; the data was written (or reported) before
  }
}

/** The error the spool reports: what failed, where, and the system's code; the original as `cause`. */
export function spoolError(dir: string, what: string, cause: unknown): Error {
  const code = (cause as NodeJS.ErrnoException | undefined)?.code;
  const reason = typeof code === "string" ? code : cause instanceof Error ? cause.message : String(cause);
  return new Error(`Telemetry spool in ${dir}: ${what} failed (${reason})`, { cause });
}
