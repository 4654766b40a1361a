import { SCHEMA_VERSION, validateEvent, type EventResult } from "@mosaicstack/telemetry-protocol";
import type { EventToStore } from "../storage/storage.js";
import { canonicalizeEvent } from "./canonical-event.js";
import { reusableSentText } from "./reusable-sent-text.js";

/** Each event's text as sent and its top-level key count, from the body scan (http/events-body-scan.ts). */
export interface SentTexts {
  texts: readonly string[];
  keyCounts: readonly number[];
}

/** One batch judged event by event: what to store, and the answer of each refused event. */
export interface ValidatedBatch {
  /** The valid events, canonical, each with its reusable text as sent or null: in batch order. */
  toStore: EventToStore[];
  /** Per stored event, its index in the batch and its event_id as sent (results echo it). */
  indexes: number[];
  sentIds: string[];
  /** Results of the refused events at their index; the stored ones are filled in after storage. */
  results: EventResult[];
}

/**
 * The index of the first event that names another instance than the key's (case-insensitively),
 * or -1: such a batch is refused whole, before anything is stored.
 */
export function foreignEventIndex(events: readonly unknown[], instanceId: string): number {
  const own = instanceId.toLowerCase();
  for (let index = 0; index < events.length; index++) {
    const claimed = (events[index] as Record<string, unknown>)["instance_id"];
    if (typeof claimed === "string" && claimed.toLowerCase() !== own) return index;
  }
  return -1;
}

/**
 * Validates each event on its own (the protocol's validateEvent); a valid one becomes canonical
 * (ids in lower case), with its text as sent where that may be stored; a refused one gets its
 * result: invalid_event, or unsupported_schema_version when it names another schema version than
 * this server's.
 *
 * @param instanceId the API key's instance, in lower case
 * @param sent the events' texts from the body scan, or null when another parser read the body
 */
export function validateBatch(events: readonly unknown[], instanceId: string, sent: SentTexts | null, now: Date): ValidatedBatch {
  const batch: ValidatedBatch = { toStore: [], indexes: [], sentIds: [], results: new Array<EventResult>(events.length) };
  const nowMs = now.getTime();
  for (let index = 0; index < events.length; index++) {
    const event = events[index] as Record<string, unknown>;
    const checked = validateEvent(event, { now: nowMs });
    if (checked.ok) {
      const validated = checked.event;
      batch.sentIds.push(validated.event_id);
      const asSent = canonicalizeEvent(validated, instanceId);
      // What is stored is the validated event's known fields; its text as sent may serve (reusable-sent-text.ts).
      const text = asSent && sent !== null ? { text: sent.texts[index] as string, keyCount: sent.keyCounts[index] as number } : null;
      batch.toStore.push({ event: validated, sentText: reusableSentText(validated, text) });
      batch.indexes.push(index);
      continue;
    }
    const version = event["schema_version"];
    const unsupported = typeof version === "string" && version !== SCHEMA_VERSION;
    batch.results[index] = {
      index,
      event_id: echoedEventId(event["event_id"]),
      status: "rejected",
      code: unsupported ? "unsupported_schema_version" : "invalid_event",
      message: unsupported ? `schema_version: "${version.slice(0, 20)}" is not supported, send "${SCHEMA_VERSION}"` : checked.message,
    };
  }
  return batch;
}

/**
 * A rejected event's id as its result echoes it: as sent when it is a string of at most
 * MAX_ECHOED_ID_LENGTH characters, else null. A UUID is 36; echoing longer ones would let a small
 * gzip body (10 KB ids compress to almost nothing) draw answers hundreds of times its size.
 */
export const MAX_ECHOED_ID_LENGTH = 64;

function echoedEventId(id: unknown): string | null {
  return typeof id === "string" && id.length <= MAX_ECHOED_ID_LENGTH ? id : null;
}
