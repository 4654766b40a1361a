import { closeSync, fsyncSync, openSync, readFileSync, renameSync, unlinkSync } from "node:fs";
import { writeAll } from "./spool-io.js";
import type { SpoolIo } from "./spool-io.js";
import { readRecordLines } from "./spool-record-reader.js";

/**
 * Rewrites a spool file with only the add records of `live` ids, through a temp file that is
 * fsynced BEFORE it is renamed over the original: a rename that reached the disk ahead of the
 * data could otherwise leave an empty file after a power cut, losing every live event rather
 * than the last sync interval's. The temp file is named as the caller's own (`.compact`), so a
 * crash mid-way leaves a file the next opener claims; it only repeats records the original
 * still has, which recovery de-duplicates.
 *
 * Synchronous, on purpose: no append may land in the old file between the read and the rename.
 * It re-reads the file because keeping every record's bytes in memory too would double the
 * spool's memory for an operation that runs once per megabyte or more of delivered events.
 * Returns the new size. Throws, after removing the temp file, when any step fails; the original is then untouched.
 */
export function compactSpoolFile(path: string, tempPath: string, live: { has(id: string): boolean }, io: SpoolIo): number {
  const kept: Buffer[] = [];
  for (const record of readRecordLines(readFileSync(path)).records) {
    if (record.kind !== "add" || !live.has(record.id)) continue;
    kept.push(record.line);
  }
  const data = Buffer.concat(kept);
  try {
    const fd = openSync(tempPath, "wx", 0o600);
    try {
      writeAll(io, fd, data, data.length);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(tempPath, path);
  } catch (error) {
    try {
      unlinkSync(tempPath);
    } catch {
      // never created, or already renamed
    }
    throw error;
  }
  return data.length;
}
