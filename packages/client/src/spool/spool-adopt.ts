import { unlinkSync } from "node:fs";
import { basename } from "node:path";
import type { Leftovers } from "./spool-claim.js";
import { holdFile } from "./spool-owner.js";
import type { SpoolFile } from "./spool-file.js";
import type { LiveEvents } from "./spool-live-events.js";
import type { SpoolRecovery } from "./spool-options.js";

/**
 * Moves claimed events into this process's own file: copies their records as they are, fsyncs
 * the file and its folder (blocking, on purpose: a claim may be deleted only once its events are
 * on disk here), then deletes the claims. A crash at any point loses nothing: before the
 * deletes, the events are in both files and the next recovery de-duplicates them.
 * Throws when the write or the fsync fails; the claims then stay, for a later opener.
 */
export function adoptLeftovers(file: SpoolFile, live: LiveEvents, leftovers: Leftovers): SpoolRecovery {
  // An id live here already is one this process holds (a claim of ours it failed to delete).
  const adds = leftovers.adds.filter((add) => !live.has(add.id));
  if (adds.length > 0) {
    const data = Buffer.concat(adds.map((add) => add.line));
    file.append(data, data.length);
    file.syncNow();
    for (const add of adds) live.add(add.id, add.line.length);
  }
  for (const path of leftovers.claimedPaths) {
    try {
      unlinkSync(path);
    } catch {
      // Left in place, it must not be claimed again by this thread (its events, delivered by
      // then, would be sent again every cycle): held until this process ends, when a survivor
      // claims it and the server's dedup absorbs the copies.
      holdFile(basename(path));
    }
  }
  return {
    events: adds.map((add) => add.event),
    ids: adds.map((add) => add.id),
    corruptRecords: leftovers.corruptRecords,
    claimedFiles: leftovers.claimedPaths.length,
  };
}
