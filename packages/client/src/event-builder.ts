import { randomUUID } from "node:crypto";
import { SCHEMA_VERSION, type TaskCompletionEvent, type TaskCompletionFields } from "@mosaicstack/telemetry-protocol";

const NO_FIELDS = Object.freeze({}) as TaskCompletionFields;

/** Completes the caller's fields into an event: id, timestamp, instance and schema version. */
export class EventBuilder {
  constructor(
    private readonly instanceId: string,
    private readonly now: () => number,
  ) {}

  /**
   * Names every field of schema 1.0, in wire order, in one object literal. Not `{...fields, ...}`:
   * a spread followed by more properties is copied key by key at run time and costs about four
   * times as much per call (docs/benchmarks-client.md); a literal gives every event one shape.
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
    const event: TaskCompletionEvent = {
      event_id: randomUUID(),
      instance_id: this.instanceId,
      schema_version: SCHEMA_VERSION,
      timestamp: new Date(this.now()).toISOString(),
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
    // The optional fields are added only when given, so an absent one stays absent (not an
    // `undefined` key) and a null stays null, as the caller wrote them. Measured: no slower
    // than naming them in the literal.
    if (fields.language !== undefined) event.language = fields.language;
    if (fields.repo_size_category !== undefined) event.repo_size_category = fields.repo_size_category;
    return event;
  }
}
