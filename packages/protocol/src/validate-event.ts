import {
  EVENT_FIELDS,
  MAX_FUTURE_SKEW_MS,
  MIN_EVENT_TIMESTAMP,
  NOT_PLAIN_TEXT_PATTERN,
  UTC_TIMESTAMP_PATTERN,
  UUID_PATTERN,
  type FieldRule,
} from "./event-fields.js";
import type { TaskCompletionEvent } from "./event.js";

/** The result of validating one event: the event, or the first problem found. */
export type EventValidation =
  | { ok: true; event: TaskCompletionEvent }
  | { ok: false; field: string; message: string };

export interface ValidateEventOptions {
  /** Milliseconds since the epoch, for the future-timestamp rule. Default: `Date.now()`. */
  now?: number;
}

const uuid = new RegExp(UUID_PATTERN);
const utcTimestamp = new RegExp(UTC_TIMESTAMP_PATTERN);
const notPlain = new RegExp(NOT_PLAIN_TEXT_PATTERN, "u");
const minTimestampMs = Date.parse(MIN_EVENT_TIMESTAMP);

/**
 * True when a string of UTC_TIMESTAMP_PATTERN names a real calendar date and time: Date.parse
 * alone accepts February 30 (as March 2) and 24:00 (as the next day's midnight).
 */
export function isCalendarTimestamp(text: string): boolean {
  const year = Number(text.slice(0, 4));
  const month = Number(text.slice(5, 7));
  const day = Number(text.slice(8, 10));
  if (month < 1 || month > 12 || day < 1) return false;
  const leap = (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
  const days = month === 2 ? (leap ? 29 : 28) : month === 4 || month === 6 || month === 9 || month === 11 ? 30 : 31;
  return day <= days && Number(text.slice(11, 13)) <= 23 && Number(text.slice(14, 16)) <= 59 && Number(text.slice(17, 19)) <= 59;
}

function timestampBreach(value: unknown): string | null {
  if (typeof value !== "string" || !utcTimestamp.test(value)) return "must be an ISO 8601 UTC timestamp";
  if (!isCalendarTimestamp(value)) return "must be a real calendar date and time";
  if (Date.parse(value) < minTimestampMs) return `must not be before ${MIN_EVENT_TIMESTAMP.slice(0, 10)}`;
  return null;
}

/** Why a value breaks a rule, or null when it keeps it. */
function breach(rule: FieldRule, value: unknown): string | null {
  switch (rule.kind) {
    case "uuid":
      return typeof value === "string" && uuid.test(value) ? null : "must be a UUID";
    case "timestamp":
      return timestampBreach(value);
    case "const":
      return value === rule.value ? null : `must be "${rule.value}"`;
    case "count":
      return Number.isSafeInteger(value) && (value as number) >= 0 ? null : "must be an integer >= 0";
    case "fraction":
      return typeof value === "number" && value >= 0 && value <= 1 ? null : "must be a number from 0 to 1";
    case "boolean":
      return typeof value === "boolean" ? null : "must be a boolean";
    case "string":
      if (typeof value !== "string" || value.length < rule.minLength || value.length > rule.maxLength) {
        return `must be a string of ${rule.minLength} to ${rule.maxLength} characters`;
      }
      return rule.plain === true && notPlain.test(value)
        ? "must not hold control characters, lone surrogates or bidirectional controls"
        : null;
    case "enum":
      return typeof value === "string" && rule.values.includes(value)
        ? null
        : `must be one of ${rule.values.join(", ")}`;
    case "enum-list":
      if (!Array.isArray(value) || value.length > rule.values.length) {
        return `must be an array of distinct values of ${rule.values.join(", ")}`;
      }
      for (let i = 0; i < value.length; i++) {
        const item: unknown = value[i];
        if (typeof item !== "string" || !rule.values.includes(item) || value.indexOf(item) !== i) {
          return `must be an array of distinct values of ${rule.values.join(", ")}`;
        }
      }
      return null;
  }
}

/**
 * Validates one event of schema 1.0 by the rules of docs/api.md. The client runs it in `track()`
 * and the server runs it per event at ingest, so both judge an event the same way.
 * Unknown fields are ignored: the event returned is the object given, so they are still on it
 * (the server stores known fields only).
 */
export function validateEvent(value: unknown, options: ValidateEventOptions = {}): EventValidation {
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    return { ok: false, field: "", message: "event: must be an object" };
  }
  const record = value as Record<string, unknown>;
  for (const field of EVENT_FIELDS) {
    const fieldValue = record[field.name];
    if (fieldValue === undefined || fieldValue === null) {
      if (field.optional) continue;
      return { ok: false, field: field.name, message: `${field.name}: is required` };
    }
    const problem = breach(field.rule, fieldValue);
    if (problem !== null) return { ok: false, field: field.name, message: `${field.name}: ${problem}` };
  }
  const run = record["quality_gates_run"] as string[];
  const failed = record["quality_gates_failed"] as string[];
  for (const gate of failed) {
    if (!run.includes(gate)) {
      return { ok: false, field: "quality_gates_failed", message: `quality_gates_failed: "${gate}" is not in quality_gates_run` };
    }
  }
  const now = options.now ?? Date.now();
  if (Date.parse(record["timestamp"] as string) > now + MAX_FUTURE_SKEW_MS) {
    return { ok: false, field: "timestamp", message: "timestamp: must not be more than 5 minutes in the future" };
  }
  return { ok: true, event: value as TaskCompletionEvent };
}
