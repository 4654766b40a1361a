import { lstatSync, readdirSync, readFileSync, renameSync } from "node:fs";
import { basename, join } from "node:path";
import { readRecords } from "./spool-record-reader.js";
import type { AddRecord } from "./spool-record-reader.js";
import { isOwnFileClaimable, markReleased, parseSpoolFileName, spoolFileName } from "./spool-owner.js";
import type { SpoolOwner } from "./spool-owner.js";

/*
 * Claiming the files of dead owners: the lock protocol.
 *
 * A claimer renames a dead owner's file to a `.claim` name of its own. rename(2) within one
 * folder is atomic, so when several survivors race for one file exactly one rename succeeds;
 * the others get ENOENT and move on. The renamed file now names the claimer as its owner, so
 * while the claimer lives nobody else touches it, and if the claimer dies before it has copied
 * the events into its own file and deleted the claim, the claim is a dead owner's file like any
 * other and the next opener claims it: no lock a crash can leave held, and no lock file at all.
 *
 * Limits: owners must share one pid namespace (one host, one container or the host's processes).
 * On a folder shared across hosts (NFS) or containers with their own pid namespaces, a live
 * owner elsewhere looks dead and its file would be taken while it still writes to it (its later
 * records would go to a deleted file): give each host or container its own folder.
 */

/** What claiming found: the events still live, ready to be copied into the claimer's file. */
export interface Leftovers {
  /** Live events, oldest first, each id once. */
  readonly adds: readonly AddRecord[];
  readonly corruptRecords: number;
  /** The `.claim` files to delete once their events are durable in the claimer's own file. */
  readonly claimedPaths: readonly string[];
}

interface ClaimedFile {
  readonly path: string;
  readonly mtimeMs: number;
  readonly data: Buffer;
}

/**
 * Renames every claimable spool file in `dir` to a claim of `me` and reads it. A file is
 * claimable when no open spool of this process holds it and its owner is dead (or is `me`'s
 * pid: see spool-owner.ts). Files that vanish, cannot be renamed or cannot be read are passed
 * over: a file this call renamed but could not read stays as `me`'s claim for a later opener.
 * Throws only when the folder cannot be listed.
 */
export function claimLeftoverFiles(dir: string, me: SpoolOwner, isAlive: (owner: SpoolOwner) => boolean): Leftovers {
  const claimed: ClaimedFile[] = [];
  for (const name of readdirSync(dir)) {
    const parsed = parseSpoolFileName(name);
    if (parsed === null) continue;
    if (parsed.owner.pid === me.pid ? !isOwnFileClaimable(name, parsed.owner, me) : isAlive(parsed.owner)) continue;
    const file = claimOne(dir, join(dir, name), me);
    if (file !== null) claimed.push(file);
  }
  // Oldest first across files: a file last written earlier holds older events.
  claimed.sort((a, b) => a.mtimeMs - b.mtimeMs || (a.path < b.path ? -1 : 1));
  return { ...mergeLeftovers(claimed.map((file) => file.data)), claimedPaths: claimed.map((file) => file.path) };
}

function claimOne(dir: string, path: string, me: SpoolOwner): ClaimedFile | null {
  const target = join(dir, spoolFileName(me, "claim"));
  try {
    if (!lstatSync(path).isFile()) return null;
    renameSync(path, target);
  } catch {
    // ENOENT: another survivor claimed it first (or its live owner closed it empty). Others: not ours to take.
    return null;
  }
  // Ours now, and held by no open spool: if adopting it fails, this thread may claim it again.
  markReleased(basename(target));
  try {
    const mtimeMs = lstatSync(target).mtimeMs; // rename keeps the owner's last write time
    return { path: target, mtimeMs, data: readFileSync(target) };
  } catch {
    return null;
  }
}

/**
 * The live events of several files: every add record whose id no remove record of ANY of the
 * files names (an event recovered into a survivor's file may have been removed there), the
 * first copy of each id kept. Files in the given order, records in file order.
 */
export function mergeLeftovers(files: readonly Buffer[]): { adds: AddRecord[]; corruptRecords: number } {
  const removed = new Set<string>();
  const adds: AddRecord[] = [];
  let corruptRecords = 0;
  for (const data of files) {
    const { records, corrupt } = readRecords(data);
    corruptRecords += corrupt;
    for (const record of records) {
      if (record.kind === "add") adds.push(record);
      else for (const id of record.ids) removed.add(id);
    }
  }
  const seen = new Set<string>();
  const live = adds.filter((add) => {
    if (removed.has(add.id) || seen.has(add.id)) return false;
    seen.add(add.id);
    return true;
  });
  return { adds: live, corruptRecords };
}
