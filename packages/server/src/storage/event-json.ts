import type { TaskCompletionEvent } from "@mosaicstack/telemetry-protocol";

/**
 * An event as a JSON object: its known fields of schema 1.0 only, in the wire order of the field
 * table, whatever else the event object carries. What PostgreSQL stores for an event sent in
 * another form than this (ingest/reusable-sent-text.ts), and what the SQLite engine's export
 * writes of its compact rows (sqlite/compact-event.ts). So what is stored is exactly what the
 * validator judged: an unknown field (junk of any size or depth) is not kept, and a key sent twice
 * is stored once, with the value JSON.parse kept and the validator read (the last).
 *
 * One template literal: strings through JSON.stringify (the only values that need escaping),
 * numbers and booleans as they print, which for the finite numbers a valid event holds is what
 * JSON.stringify writes; byte for byte JSON.stringify of the known fields in table order, which
 * would first need a copy of the event without its unknown fields. Optional fields absent from
 * the event are absent from the text. About 1.5 µs per event, as much as JSON.stringify of the
 * whole event: PostgreSQL stores an event's own text instead when that is provably the same value.
 *
 * @param event an event validateEvent accepted (a number that is not finite would not be JSON)
 */
export function eventJson(event: TaskCompletionEvent): string {
  const e = event;
  const language = e.language === undefined ? "" : `,"language":${e.language === null ? "null" : JSON.stringify(e.language)}`;
  const size =
    e.repo_size_category === undefined ? "" : `,"repo_size_category":${e.repo_size_category === null ? "null" : JSON.stringify(e.repo_size_category)}`;
  return `{"event_id":${JSON.stringify(e.event_id)},"instance_id":${JSON.stringify(e.instance_id)},"schema_version":${JSON.stringify(e.schema_version)},"timestamp":${JSON.stringify(e.timestamp)},"task_duration_ms":${e.task_duration_ms},"task_type":${JSON.stringify(e.task_type)},"complexity":${JSON.stringify(e.complexity)},"harness":${JSON.stringify(e.harness)},"model":${JSON.stringify(e.model)},"provider":${JSON.stringify(e.provider)},"estimated_input_tokens":${e.estimated_input_tokens},"estimated_output_tokens":${e.estimated_output_tokens},"actual_input_tokens":${e.actual_input_tokens},"actual_output_tokens":${e.actual_output_tokens},"estimated_cost_usd_micros":${e.estimated_cost_usd_micros},"actual_cost_usd_micros":${e.actual_cost_usd_micros},"quality_gate_passed":${e.quality_gate_passed},"quality_gates_run":${JSON.stringify(e.quality_gates_run)},"quality_gates_failed":${JSON.stringify(e.quality_gates_failed)},"context_compactions":${e.context_compactions},"context_rotations":${e.context_rotations},"context_utilization_final":${e.context_utilization_final},"outcome":${JSON.stringify(e.outcome)},"retry_count":${e.retry_count}${language}${size}}`;
}
