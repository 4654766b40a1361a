import type { TaskCompletionEvent } from "@mosaicstack/telemetry-protocol";

/**
 * The JSON length of an event's fixed part: every key, the UUIDs, the timestamp and typical
 * numbers (measured on a representative event, minus its variable strings).
 */
const FIXED_EVENT_BYTES = 650;
/** A quality gate name with its quotes and comma. */
const GATE_BYTES = 11;

/**
 * An ESTIMATE of an event's serialized size for the `maxQueueBytes` bound. JSON.stringify per
 * event would double the cost of `track()`, so this adds the variable-length strings to a
 * constant; it stays within a few tens of percent of the real size for events the validator accepts.
 */
export function estimateEventBytes(event: TaskCompletionEvent): number {
  const model = typeof event.model === "string" ? event.model.length : 0;
  const language = typeof event.language === "string" ? event.language.length : 0;
  const run = Array.isArray(event.quality_gates_run) ? event.quality_gates_run.length : 0;
  const failed = Array.isArray(event.quality_gates_failed) ? event.quality_gates_failed.length : 0;
  return FIXED_EVENT_BYTES + model + language + (run + failed) * GATE_BYTES;
}
