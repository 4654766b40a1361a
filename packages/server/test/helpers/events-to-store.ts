import type { TaskCompletionEvent } from "@mosaicstack/telemetry-protocol";
import type { EventToStore } from "../../src/storage/storage.js";

/** Events as the ingest layer hands them to storage when no text as sent may be stored: each engine writes its own form. */
export function toStore(events: readonly TaskCompletionEvent[]): EventToStore[] {
  return events.map((event) => ({ event, sentText: null }));
}
