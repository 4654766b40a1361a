import type { TaskCompletionEvent } from "@mosaicstack/telemetry-protocol";
import { eventPayload } from "../../src/ingest/event-payload.js";
import type { EventToStore } from "../../src/storage/storage.js";

/** Events as the ingest layer hands them to storage: each with the text stored for it (its known fields). */
export function toStore(events: readonly TaskCompletionEvent[]): EventToStore[] {
  return events.map((event) => ({ event, payload: eventPayload(event) }));
}
