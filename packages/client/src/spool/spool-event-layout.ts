/*
 * The layout of the spool's compact event record (spool-event-codec.ts writes and reads it):
 * schema 1.0's fields in order, the optional ones, and the enum lists whose indices stand for
 * their values. Part of the file format: a spool is read by the release that wrote it and by
 * later ones, so none of this changes without a new record kind. A test holds it to the protocol.
 */

/** The fields of the compact form, in order (schema 1.0's, as EVENT_FIELDS lists them). */
export const ENCODED_FIELDS: readonly string[] = Object.freeze([
  "event_id",
  "instance_id",
  "schema_version",
  "timestamp",
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
]);

/** The optional fields (written as -1 when absent). */
export const OPTIONAL: ReadonlySet<string> = new Set(["language", "repo_size_category"]);
export const ABSENT = -1;

/**
 * An enum field's values in the format's order, and each one's index; with the last value
 * looked up, because a process reports the same few values over and over and an identity test
 * is cheaper than the map's hashing (measured: a quarter of the encoder's time went to lookups).
 */
export interface EnumCode {
  readonly values: readonly string[];
  readonly index: ReadonlyMap<string, number>;
  lastValue: string | null;
  lastIndex: number;
}

function enumCode(values: readonly string[]): EnumCode {
  return { values, index: new Map(values.map((value, i) => [value, i])), lastValue: null, lastIndex: -1 };
}

/**
 * The enum values the compact form writes as indices, frozen with the format: a spool is read
 * by the release that wrote it and by later ones, so a value the protocol gains later must not
 * get an index an older reader lacks. Such a value is declined (the event goes as a generic JSON
 * record) until a new record kind extends these lists. A test holds them to the protocol's.
 */
const GATES = ["build", "lint", "test", "coverage", "typecheck", "security"];
export const ENCODED_ENUMS: ReadonlyMap<string, EnumCode> = new Map([
  ["task_type", enumCode(["planning", "architecture", "implementation", "code_review", "testing", "debugging", "refactoring", "documentation", "configuration", "security_audit", "unknown"])],
  ["complexity", enumCode(["low", "medium", "high", "critical"])],
  ["harness", enumCode(["claude_code", "opencode", "kilo_code", "aider", "cursor", "codex", "gemini_cli", "api_direct", "ollama_local", "custom", "unknown"])],
  ["provider", enumCode(["anthropic", "openai", "openrouter", "ollama", "google", "mistral", "xai", "deepseek", "custom", "unknown"])],
  ["quality_gates_run", enumCode(GATES)],
  ["quality_gates_failed", enumCode(GATES)],
  ["outcome", enumCode(["success", "partial", "failure", "timeout"])],
  ["repo_size_category", enumCode(["tiny", "small", "medium", "large", "huge"])],
]);
