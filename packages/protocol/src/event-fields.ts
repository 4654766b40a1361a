import {
  Complexity,
  Harness,
  Outcome,
  Provider,
  QualityGate,
  RepoSizeCategory,
  TaskType,
  enumValues,
} from "./enums.js";
import { SCHEMA_VERSION } from "./event.js";

/**
 * The rule of every field of event schema 1.0, written once. Both the JSON Schema
 * (schema.ts) and the validator that the client and the server share (validate-event.ts)
 * are derived from this table, so the two cannot disagree.
 */
export type FieldRule =
  | { kind: "uuid" }
  | { kind: "timestamp" }
  | { kind: "const"; value: string }
  | { kind: "count" }
  | { kind: "fraction" }
  | { kind: "boolean" }
  | { kind: "string"; minLength: number; maxLength: number; plain?: boolean }
  | { kind: "enum"; values: readonly string[] }
  | { kind: "enum-list"; values: readonly string[] };

export interface FieldSpec {
  readonly name: string;
  readonly rule: FieldRule;
  /** Optional fields may be absent or null. */
  readonly optional: boolean;
}

const required = (name: string, rule: FieldRule): FieldSpec => ({ name, rule, optional: false });
const optional = (name: string, rule: FieldRule): FieldSpec => ({ name, rule, optional: true });
const count: FieldRule = { kind: "count" };

/** Fields in wire order. */
export const EVENT_FIELDS: readonly FieldSpec[] = Object.freeze([
  required("event_id", { kind: "uuid" }),
  required("instance_id", { kind: "uuid" }),
  required("schema_version", { kind: "const", value: SCHEMA_VERSION }),
  required("timestamp", { kind: "timestamp" }),
  required("task_duration_ms", count),
  required("task_type", { kind: "enum", values: enumValues(TaskType) }),
  required("complexity", { kind: "enum", values: enumValues(Complexity) }),
  required("harness", { kind: "enum", values: enumValues(Harness) }),
  // Plain: shown in dashboards and logs, so no control characters, lone surrogates or bidi overrides.
  required("model", { kind: "string", minLength: 1, maxLength: 100, plain: true }),
  required("provider", { kind: "enum", values: enumValues(Provider) }),
  required("estimated_input_tokens", count),
  required("estimated_output_tokens", count),
  required("actual_input_tokens", count),
  required("actual_output_tokens", count),
  required("estimated_cost_usd_micros", count),
  required("actual_cost_usd_micros", count),
  required("quality_gate_passed", { kind: "boolean" }),
  required("quality_gates_run", { kind: "enum-list", values: enumValues(QualityGate) }),
  required("quality_gates_failed", { kind: "enum-list", values: enumValues(QualityGate) }),
  required("context_compactions", count),
  required("context_rotations", count),
  required("context_utilization_final", { kind: "fraction" }),
  required("outcome", { kind: "enum", values: enumValues(Outcome) }),
  required("retry_count", count),
  optional("language", { kind: "string", minLength: 0, maxLength: 30 }),
  optional("repo_size_category", { kind: "enum", values: enumValues(RepoSizeCategory) }),
]);

/** How far in the future an event's timestamp may lie (clock skew allowance). */
export const MAX_FUTURE_SKEW_MS = 5 * 60 * 1000;

/** UUID of any version, in the canonical 8-4-4-4-12 hexadecimal form. */
export const UUID_PATTERN = "^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$";

/**
 * Characters a plain text field refuses: control characters (C0, DEL, C1), lone surrogates
 * (not valid UTF-16, so not representable in UTF-8 either) and the Unicode Bidi_Control set
 * (embeddings, overrides, isolates and marks, which reorder what a reader sees: "Trojan Source").
 * A `u`-flag pattern: with it, a well-formed surrogate pair is one code point and never matches.
 */
export const NOT_PLAIN_TEXT_PATTERN = "[\\p{Cc}\\p{Cs}\\p{Bidi_Control}]";

/** The earliest `timestamp` accepted: older dates are a client's broken clock or a made-up event. */
export const MIN_EVENT_TIMESTAMP = "2000-01-01T00:00:00Z";

/** ISO 8601 in UTC: `Z` or `+00:00`, optional fraction of a second. */
export const UTC_TIMESTAMP_PATTERN =
  "^\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}:\\d{2}(\\.\\d{1,9})?(Z|\\+00:00)$";
