import { randomUUID } from "node:crypto";
import { SCHEMA_VERSION, type TaskCompletionEvent, type TaskCompletionFields } from "@mosaicstack/telemetry-protocol";
import { uuidV7, uuidV7Prefix } from "./uuid-v7.js";

const NO_FIELDS = Object.freeze({}) as TaskCompletionFields;

/** Completes the caller's fields into an event: id, timestamp, instance and schema version. */
export class EventBuilder {
  /**
   * The last clock reading, its ISO string and its event-id prefix (uuid-v7.ts): events built
   * within one millisecond share both.
   */
  private lastMs = Number.NaN;
  private lastIso = "";
  private lastIdPrefix = "";
  /** How many ids this millisecond has had: the ids' sequence within it (uuid-v7.ts). */
  private idsThisMs = 0;

  constructor(
    private readonly instanceId: string,
    private readonly now: () => number,
  ) {}

  /**
   * Reads the clock once per event; `new Date(ms).toISOString()` and the id prefix are formatted
   * once per reading (lastMs starts as NaN, so the first call formats; a NaN clock throws, as before).
   */
  private tick(): void {
    const ms = this.now();
    if (ms !== this.lastMs) {
      this.lastIso = new Date(ms).toISOString();
      this.lastIdPrefix = uuidV7Prefix(ms);
      this.idsThisMs = 0;
      this.lastMs = ms;
    }
  }

  /**
   * Names every field of schema 1.0, in wire order, in one object literal. Not `{...fields, ...}`:
   * a spread followed by more properties is copied key by key at run time and costs about four
   * times as much per call (docs/benchmarks/client-per-call.md); a literal gives every event one shape.
   * So keys beyond the schema are not carried (the server ignores unknown fields anyway, api-v1),
   * and the four SDK fields cannot be overridden by the caller's object.
   *
   * @example
   * client.track(client.eventBuilder.build({ task_type: TaskType.TESTING, ... }));
   */
  build(given: TaskCompletionFields): TaskCompletionEvent {
    // A JavaScript caller may pass nothing: the spread this replaces made that an event that
    // track() reports as invalid, not a throw here, and so does this.
    const fields = given ?? NO_FIELDS;
    const { language, repo_size_category } = fields;
    this.tick();
    const eventId = uuidV7(this.lastIdPrefix, this.idsThisMs++, randomUUID());
    if (language !== undefined && repo_size_category !== undefined) {
      return withOptionals(eventId, this.instanceId, this.lastIso, fields, language, repo_size_category);
    }
    const event = requiredOnly(eventId, this.instanceId, this.lastIso, fields);
    // An absent optional field stays absent (not an `undefined` key) and a null stays null,
    // as the caller wrote them.
    if (language !== undefined) event.language = language;
    if (repo_size_category !== undefined) event.repo_size_category = repo_size_category;
    return event;
  }
}

/**
 * The event with both optional fields, as ONE literal of all 26 fields. Not the 24-field literal
 * plus two assignments: the map such assignments lead to is held by a weak transition, so once
 * every event of that shape is gone (a flush, a dropped client) the collector may drop the map
 * and the optimized code of track() and its callees that depended on it is thrown away
 * (--trace-deopt: "weak objects"); a literal's map is kept by its allocation site.
 */
function withOptionals(
  event_id: string,
  instance_id: string,
  timestamp: string,
  fields: TaskCompletionFields,
  language: NonNullable<TaskCompletionFields["language"]> | null,
  repo_size_category: NonNullable<TaskCompletionFields["repo_size_category"]> | null,
): TaskCompletionEvent {
  return {
    event_id,
    instance_id,
    schema_version: SCHEMA_VERSION,
    timestamp,
    task_duration_ms: fields.task_duration_ms,
    task_type: fields.task_type,
    complexity: fields.complexity,
    harness: fields.harness,
    model: fields.model,
    provider: fields.provider,
    estimated_input_tokens: fields.estimated_input_tokens,
    estimated_output_tokens: fields.estimated_output_tokens,
    actual_input_tokens: fields.actual_input_tokens,
    actual_output_tokens: fields.actual_output_tokens,
    estimated_cost_usd_micros: fields.estimated_cost_usd_micros,
    actual_cost_usd_micros: fields.actual_cost_usd_micros,
    quality_gate_passed: fields.quality_gate_passed,
    quality_gates_run: fields.quality_gates_run,
    quality_gates_failed: fields.quality_gates_failed,
    context_compactions: fields.context_compactions,
    context_rotations: fields.context_rotations,
    context_utilization_final: fields.context_utilization_final,
    outcome: fields.outcome,
    retry_count: fields.retry_count,
    language,
    repo_size_category,
  };
}

/** The event without the optional fields, for callers that leave one or both out. */
function requiredOnly(event_id: string, instance_id: string, timestamp: string, fields: TaskCompletionFields): TaskCompletionEvent {
  return {
    event_id,
    instance_id,
    schema_version: SCHEMA_VERSION,
    timestamp,
    task_duration_ms: fields.task_duration_ms,
    task_type: fields.task_type,
    complexity: fields.complexity,
    harness: fields.harness,
    model: fields.model,
    provider: fields.provider,
    estimated_input_tokens: fields.estimated_input_tokens,
    estimated_output_tokens: fields.estimated_output_tokens,
    actual_input_tokens: fields.actual_input_tokens,
    actual_output_tokens: fields.actual_output_tokens,
    estimated_cost_usd_micros: fields.estimated_cost_usd_micros,
    actual_cost_usd_micros: fields.actual_cost_usd_micros,
    quality_gate_passed: fields.quality_gate_passed,
    quality_gates_run: fields.quality_gates_run,
    quality_gates_failed: fields.quality_gates_failed,
    context_compactions: fields.context_compactions,
    context_rotations: fields.context_rotations,
    context_utilization_final: fields.context_utilization_final,
    outcome: fields.outcome,
    retry_count: fields.retry_count,
  };
}
