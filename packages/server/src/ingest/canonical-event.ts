import type { TaskCompletionEvent } from "@mosaicstack/telemetry-protocol";

// Upper-case hexadecimal digits: a validated UUID without them is in lower case already.
const UPPER_HEX = /[A-F]/;

/**
 * Puts a validated event in the form it is stored and deduplicated in: `event_id` and
 * `instance_id` in lower case. UUIDs compare case-insensitively (docs/api.md), so an upper-case copy
 * of an event already stored is a duplicate, not a second event. Changes the event in place: it is
 * the request's own parse, and one object per event less is measurable at ingest.
 *
 * @param instanceId the API key's instance, in lower case: the event's instance_id names it
 *   (checked case-insensitively before validation), so it becomes exactly this
 * @returns true when the ids were in lower case already (the text as sent is then canonical too)
 * @example
 * canonicalizeEvent(event, key.instanceId); event.event_id // "0b6a3f3e-…" even when sent as "0B6A3F3E-…"
 */
export function canonicalizeEvent(event: TaskCompletionEvent, instanceId: string): boolean {
  let asSent = true;
  // A test for upper case first: toLowerCase would copy every id (about 60 ns each).
  if (UPPER_HEX.test(event.event_id)) {
    event.event_id = event.event_id.toLowerCase();
    asSent = false;
  }
  if (event.instance_id !== instanceId) {
    event.instance_id = instanceId;
    asSent = false;
  }
  return asSent;
}
