import { EVENT_FIELDS, type TaskCompletionEvent } from "@mosaicstack/telemetry-protocol";

/**
 * The form in which the SQLite engine stores an event's payload: a JSON array of the event's
 * known fields in the order of the field table, without the three the row holds in columns of its
 * own (event_id, instance_id, timestamp). About 220 bytes instead of the ~800 of the event as an
 * object: keys are most of an event's text, and every stored byte is copied again by the WAL, its
 * sync and its checkpoint. The file grows half as fast (docs/decisions/0012-compact-stored-events.md).
 *
 * The array's first element is the event's schema_version, which names the layout: a later
 * schema gets a layout of its own under its own version, and rows already stored keep theirs.
 * Rows written before this form hold the event as a JSON object: the decoder reads both.
 *
 * Optional fields always take their slot: `false` when absent (a valid event never holds false
 * there), `null` when sent as null, else the value.
 *
 * The SDK's spool keeps events in a form of the same idea for the same reason
 * (packages/client/src/spool/spool-event-codec.ts); the two are separate file formats, each
 * frozen with its own version, so neither derives its order from the protocol's field table.
 */

/** The fields in the array, in order, for schema 1.0. */
const LAYOUT_1_0 = [
  "schema_version",
  "task_duration_ms",
  "task_type",
  "complexity",
  "harness",
  "model",
  "provider",
  "estimated_input_tokens",
  "estimated_output_tokens",
  "actual_input_tokens",
  "actual_output_tokens",
  "estimated_cost_usd_micros",
  "actual_cost_usd_micros",
  "quality_gate_passed",
  "quality_gates_run",
  "quality_gates_failed",
  "context_compactions",
  "context_rotations",
  "context_utilization_final",
  "outcome",
  "retry_count",
  "language",
  "repo_size_category",
] as const;

const IN_COLUMNS = ["event_id", "instance_id", "timestamp"];
// compactEvent names each field (faster than a loop over the layout): this fails at load if the
// field table changes under it.
if (
  EVENT_FIELDS.map((field) => field.name)
    .filter((name) => !IN_COLUMNS.includes(name))
    .join() !== LAYOUT_1_0.join()
) {
  throw new Error("compact-event: the event fields changed; give the new schema a layout of its own");
}

/**
 * The payload text to store for a validated, canonical event of schema 1.0.
 *
 * JSON.stringify of an array literal: V8 writes it into one flat string in C++, about a fifth
 * faster than a template literal of the same values, whose pieces the driver must also flatten
 * before binding (measured: 0.78 against 0.95 µs per event).
 */
export function compactEvent(e: TaskCompletionEvent): string {
  return JSON.stringify([
    e.schema_version,
    e.task_duration_ms,
    e.task_type,
    e.complexity,
    e.harness,
    e.model,
    e.provider,
    e.estimated_input_tokens,
    e.estimated_output_tokens,
    e.actual_input_tokens,
    e.actual_output_tokens,
    e.estimated_cost_usd_micros,
    e.actual_cost_usd_micros,
    e.quality_gate_passed,
    e.quality_gates_run,
    e.quality_gates_failed,
    e.context_compactions,
    e.context_rotations,
    e.context_utilization_final,
    e.outcome,
    e.retry_count,
    e.language === undefined ? false : e.language,
    e.repo_size_category === undefined ? false : e.repo_size_category,
  ]);
}

/** The row's columns a stored event is rebuilt from. */
export interface StoredEventRow {
  instance_id: string;
  event_id: string;
  timestamp: string;
  payload: string;
}

/**
 * The event a row holds, as validated: its fields in the order of the field table (so
 * JSON.stringify of it is the text the event was once stored as). Reads both forms: the compact
 * array and the object of rows written before it.
 */
export function storedEvent(row: StoredEventRow): TaskCompletionEvent {
  const value = JSON.parse(row.payload) as unknown;
  if (!Array.isArray(value)) return value as TaskCompletionEvent;
  return eventOfLayout(row, value);
}

/** Whether a row's payload is in the compact form (an array) rather than an event object. */
export function isCompact(row: StoredEventRow): boolean {
  return row.payload.startsWith("[");
}

function eventOfLayout(row: StoredEventRow, value: unknown[]): TaskCompletionEvent {
  if (value[0] !== "1.0") throw new Error(`stored event ${row.event_id} has an unknown layout (${String(value[0]).slice(0, 20)})`);
  const event: Record<string, unknown> = { event_id: row.event_id, instance_id: row.instance_id };
  LAYOUT_1_0.forEach((name, index) => {
    if (name === "task_duration_ms") event["timestamp"] = row.timestamp;
    const fieldValue: unknown = value[index];
    if (fieldValue !== false || name === "quality_gate_passed") event[name] = fieldValue;
  });
  return event as unknown as TaskCompletionEvent;
}
