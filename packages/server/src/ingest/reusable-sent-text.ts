import { EVENT_FIELDS, type TaskCompletionEvent } from "@mosaicstack/telemetry-protocol";

/**
 * A validated, canonical event's text as sent, when that text is provably the same JSON value as
 * the event's known fields, else null. An engine that stores events as JSON objects (PostgreSQL)
 * stores such a text instead of serialising the event again (storage/event-json.ts), which costs
 * more than the scan that found the text (docs/benchmarks/server-ingest.md).
 *
 * The text as sent qualifies when its top level holds as many keys as the event has known fields
 * (every required field is present in a valid event, and each optional one counts when present):
 * then it holds no unknown field and no key twice, since either would add a key. Its spelling may
 * differ (spacing, escapes, `1.0e3`), its value may not.
 *
 * @param sent the event's text and key count from the body scan, or null when the ids were
 *   changed to lower case or the scan found no texts
 */
export function reusableSentText(event: TaskCompletionEvent, sent: { text: string; keyCount: number } | null): string | null {
  return sent !== null && sent.keyCount === knownFieldCount(event) ? sent.text : null;
}

const REQUIRED_COUNT = EVENT_FIELDS.filter((field) => !field.optional).length;
// The optional fields are named in knownFieldCount (a property read by name is several times
// faster than one by a computed key); this fails at load if the field table changes under it.
const OPTIONAL_NAMES = EVENT_FIELDS.filter((field) => field.optional).map((field) => field.name);
if (OPTIONAL_NAMES.join() !== "language,repo_size_category") throw new Error("reusable-sent-text: the optional event fields changed");

/** The required fields of schema 1.0 (all present in a valid event), and the optional ones present. */
function knownFieldCount(event: TaskCompletionEvent): number {
  return REQUIRED_COUNT + (event.language === undefined ? 0 : 1) + (event.repo_size_category === undefined ? 0 : 1);
}
