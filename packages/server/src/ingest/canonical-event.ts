import type { TaskCompletionEvent } from "@mosaicstack/telemetry-protocol";

/**
 * Puts a validated event in the form it is stored and deduplicated in: `event_id` and
 * `instance_id` in lower case. UUIDs compare case-insensitively (api-v1.md), so an upper-case copy
 * of an event already stored is a duplicate, not a second event. Changes the event in place: it is
 * the request's own parse, and one object per event less is measurable at ingest.
 *
 * @returns true when the ids were in lower case already (the text as sent is then canonical too)
 * @example
 * canonicalizeEvent(event); event.event_id // "0b6a3f3e-…" even when sent as "0B6A3F3E-…"
 */
export function canonicalizeEvent(event: TaskCompletionEvent): boolean {
  const eventId = event.event_id.toLowerCase();
  const instanceId = event.instance_id.toLowerCase();
  if (eventId === event.event_id && instanceId === event.instance_id) return true;
  event.event_id = eventId;
  event.instance_id = instanceId;
  return false;
}
