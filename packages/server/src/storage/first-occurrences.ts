import type { EventToStore } from "./storage.js";

/**
 * Indexes of the first copy of each event_id in one ingest call: a later copy in the same call is
 * its duplicate (the Storage contract), whichever engine stores it.
 */
export function firstOccurrences(events: readonly EventToStore[]): number[] {
  const seen = new Set<string>();
  const first: number[] = [];
  for (let index = 0; index < events.length; index++) {
    const id = (events[index] as EventToStore).event.event_id;
    if (!seen.has(id)) {
      seen.add(id);
      first.push(index);
    }
  }
  return first;
}
