import {
  EVENT_FIELDS,
  MAX_FUTURE_SKEW_MS,
  MIN_EVENT_TIMESTAMP,
  NOT_PLAIN_TEXT_PATTERN,
  UTC_TIMESTAMP_PATTERN,
  isCalendarTimestamp,
  type FieldRule,
} from "@mosaicstack/telemetry-protocol";

/**
 * track()'s fast yes/no check of an event against schema 1.0, written out field by field.
 * The protocol's `validateEvent` walks its rule table per field (a switch per value, array
 * `includes` for enums, two `Date.parse`s); this was about half of the cost of `track()`.
 *
 * It only ever says "valid" or "look closer": on false, track() runs `validateEvent` itself,
 * which gives the verdict and the message, so the two can never disagree about a rejection.
 * They must not disagree about acceptance either: a test compares both on many thousands of
 * generated and broken events, and another fails if the protocol's field table changes.
 * Rule values (enumerations, lengths) come from that table, so they cannot drift.
 */

type Rule<K extends FieldRule["kind"]> = Extract<FieldRule, { kind: K }>;

function ruleOf<K extends FieldRule["kind"]>(name: string, kind: K): Rule<K> {
  const rule = EVENT_FIELDS.find((field) => field.name === name)?.rule;
  if (rule?.kind !== kind) throw new Error(`event-check: schema field ${name} is not a ${kind}`);
  return rule as Rule<K>;
}

const enumSet = (name: string): ReadonlySet<unknown> => new Set(ruleOf(name, "enum").values);

const UUID_LENGTH = 36;
/** 1 for the characters UUID_PATTERN's `[0-9a-fA-F]` accepts, by char code (ASCII only). */
const HEX_DIGIT = new Uint8Array(128);
for (const char of "0123456789abcdefABCDEF") HEX_DIGIT[char.charCodeAt(0)] = 1;
const utcTimestamp = new RegExp(UTC_TIMESTAMP_PATTERN);
const SCHEMA = ruleOf("schema_version", "const").value;
const TASK_TYPES = enumSet("task_type");
const COMPLEXITIES = enumSet("complexity");
const HARNESSES = enumSet("harness");
const PROVIDERS = enumSet("provider");
const OUTCOMES = enumSet("outcome");
const REPO_SIZES = enumSet("repo_size_category");
const GATE_VALUES: readonly unknown[] = ruleOf("quality_gates_run", "enum-list").values;
if (GATE_VALUES.length > 30) throw new Error("event-check: too many quality gates for a 31-bit mask");
const MODEL = ruleOf("model", "string");
const LANGUAGE = ruleOf("language", "string");

/**
 * UUID_PATTERN (8-4-4-4-12 hex digits, either case) by char codes: about half the cost of the
 * regular expression per id (docs/benchmarks/client-per-call.md). Reading the characters also flattens
 * the event id (a concatenation of a UUIDv7's prefix, sequence and a sliced randomUUID()), which is why a queued
 * event retains less than one that was never checked. A test holds this to the pattern.
 */
export function isUuid(value: string): boolean {
  if (value.length !== UUID_LENGTH) return false;
  for (let i = 0; i < UUID_LENGTH; i++) {
    const code = value.charCodeAt(i);
    if (i === 8 || i === 13 || i === 18 || i === 23) {
      if (code !== 45) return false; // "-"
    } else if (code > 127 || HEX_DIGIT[code] === 0) {
      return false;
    }
  }
  return true;
}

function isCount(value: unknown): boolean {
  return Number.isSafeInteger(value) && (value as number) >= 0;
}

function isString(value: unknown, rule: { minLength: number; maxLength: number }): boolean {
  return typeof value === "string" && value.length >= rule.minLength && value.length <= rule.maxLength;
}

/**
 * The set of gates a valid list names, one bit per gate of the schema (in its table order), or
 * -1 when the value is not a list of distinct schema gates. Bits let the caller test "failed
 * within run" with one `&`, where arrays would need a search per failed gate.
 */
function gateMask(value: unknown): number {
  if (!Array.isArray(value) || value.length > GATE_VALUES.length) return -1;
  let mask = 0;
  for (let i = 0; i < value.length; i++) {
    const bit = gateBit(value[i]);
    if (bit === 0 || (mask & bit) !== 0) return -1;
    mask |= bit;
  }
  return mask;
}

function gateBit(gate: unknown): number {
  for (let i = 0; i < GATE_VALUES.length; i++) {
    if (GATE_VALUES[i] === gate) return 1 << i;
  }
  return 0;
}

/**
 * The last timestamp string seen and its time, or NaN when it is not a UTC timestamp. The
 * pattern and `Date.parse` depend on the string alone, and the builder's events share their
 * timestamp within a millisecond (hundreds of calls), so one string comparison stands in for
 * both most of the time. The future-skew rule is still applied to every event against `now`.
 */
let lastTimestamp = "";
let lastTimestampMs = Number.NaN;

function timestampMs(timestamp: string): number {
  if (timestamp !== lastTimestamp) {
    const at = utcTimestamp.test(timestamp) && isCalendarTimestamp(timestamp) ? Date.parse(timestamp) : Number.NaN;
    lastTimestampMs = at >= MIN_TIMESTAMP_MS ? at : Number.NaN;
    lastTimestamp = timestamp;
  }
  return lastTimestampMs;
}

const MIN_TIMESTAMP_MS = Date.parse(MIN_EVENT_TIMESTAMP);
const notPlain = new RegExp(NOT_PLAIN_TEXT_PATTERN, "u");

/**
 * The last model name found plain (no control characters, lone surrogates or bidi controls),
 * for the same reason as the timestamp's: a process reports a handful of models, so one string
 * comparison stands in for the Unicode pattern most of the time.
 */
let lastPlainModel = "";

function isPlainModel(model: string): boolean {
  if (model === lastPlainModel) return true;
  if (notPlain.test(model)) return false;
  lastPlainModel = model;
  return true;
}

/** True only when `validateEvent(value, { now })` would accept it. */
export function isValidEvent(value: unknown, now: number): boolean {
  if (typeof value !== "object" || value === null || Array.isArray(value)) return false;
  const e = value as Record<string, unknown>;
  const { event_id, instance_id, timestamp } = e;
  if (typeof event_id !== "string" || !isUuid(event_id)) return false;
  if (typeof instance_id !== "string" || !isUuid(instance_id)) return false;
  if (e["schema_version"] !== SCHEMA) return false;
  if (typeof timestamp !== "string") return false;
  const at = timestampMs(timestamp);
  if (Number.isNaN(at) || at > now + MAX_FUTURE_SKEW_MS) return false;
  if (
    !isCount(e["task_duration_ms"]) ||
    !TASK_TYPES.has(e["task_type"]) ||
    !COMPLEXITIES.has(e["complexity"]) ||
    !HARNESSES.has(e["harness"]) ||
    !isString(e["model"], MODEL) ||
    !isPlainModel(e["model"] as string) ||
    !PROVIDERS.has(e["provider"]) ||
    !isCount(e["estimated_input_tokens"]) ||
    !isCount(e["estimated_output_tokens"]) ||
    !isCount(e["actual_input_tokens"]) ||
    !isCount(e["actual_output_tokens"]) ||
    !isCount(e["estimated_cost_usd_micros"]) ||
    !isCount(e["actual_cost_usd_micros"]) ||
    typeof e["quality_gate_passed"] !== "boolean" ||
    !isCount(e["context_compactions"]) ||
    !isCount(e["context_rotations"]) ||
    !OUTCOMES.has(e["outcome"]) ||
    !isCount(e["retry_count"])
  ) {
    return false;
  }
  const utilization = e["context_utilization_final"];
  if (typeof utilization !== "number" || !(utilization >= 0 && utilization <= 1)) return false;
  const language = e["language"];
  if (language !== undefined && language !== null && !isString(language, LANGUAGE)) return false;
  const size = e["repo_size_category"];
  if (size !== undefined && size !== null && !REPO_SIZES.has(size)) return false;
  const run = gateMask(e["quality_gates_run"]);
  const failed = gateMask(e["quality_gates_failed"]);
  // Every failed gate must have been run.
  return run !== -1 && failed !== -1 && (failed & ~run) === 0;
}
