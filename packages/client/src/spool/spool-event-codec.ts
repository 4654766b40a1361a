import { ABSENT, ENCODED_ENUMS, ENCODED_FIELDS, OPTIONAL, type EnumCode } from "./spool-event-layout.js";

/*
 * The compact form of an event in the spool: the values of schema 1.0's fields as one JSON
 * array, in the protocol's field order (EVENT_FIELDS), written byte by byte into the record
 * buffer. An enum value is written as its index in the protocol's list of values, a gate list as
 * a list of such indices (order kept). An absent optional field is written as -1, which no value
 * can be (indices and strings only, or null).
 *
 *   ["0195…","a1b2…","1.0","2026-…Z",120000,2,1,0,"claude-sonnet-4-5",0,…,[0,1,2,4],[],…,"typescript",-1]
 *
 * Why not JSON.stringify(event): it is most of what the spool costs per track() (2 µs of a
 * 1 KB event on the dev VM, where the SDK's whole track(build()) is about 2), and the write of
 * its ~900 bytes to the page cache cost another 0.7 µs; this form is about 200 bytes. The
 * values here were validated by track(), so nearly all are ASCII written as they are; a string
 * that needs escaping goes through JSON.stringify alone. An event this form cannot hold (a value
 * of an unexpected type, an enum value the format's lists lack, a key beyond the schema) is
 * declined and the caller writes the generic JSON record instead.
 *
 * The encoder is written out field by field, as the event builder is, because reading the
 * fields by name from a table (`event[field.name]`) made it three times slower. The order and the
 * enum lists are the file format's (spool-event-layout.ts): a test holds them to the protocol and
 * a round trip holds the encoder to them, so a change to the schema must come with a new record
 * kind.
 */

const REQUIRED_FIELDS = ENCODED_FIELDS.length - OPTIONAL.size;

const TASK_TYPE = ENCODED_ENUMS.get("task_type") as EnumCode;
const COMPLEXITY = ENCODED_ENUMS.get("complexity") as EnumCode;
const HARNESS = ENCODED_ENUMS.get("harness") as EnumCode;
const PROVIDER = ENCODED_ENUMS.get("provider") as EnumCode;
const GATE = ENCODED_ENUMS.get("quality_gates_run") as EnumCode;
const OUTCOME = ENCODED_ENUMS.get("outcome") as EnumCode;
const REPO_SIZE = ENCODED_ENUMS.get("repo_size_category") as EnumCode;

const QUOTE = 0x22;
const COMMA = 0x2c;
const OPEN = 0x5b;
const CLOSE = 0x5d;
const TRUE = Buffer.from("true", "latin1");
const FALSE = Buffer.from("false", "latin1");
const NULL = Buffer.from("null", "latin1");

/** The most bytes one encoded event can take: the caller reserves this much before encoding. */
export const MAX_ENCODED_EVENT_BYTES = 8 * 1024;
/** A string longer than this is declined (the schema's longest is 100 characters). */
const MAX_STRING_LENGTH = 1000;

/** The fields as the encoder reads them; unknown until checked, value by value. */
interface EventFields {
  readonly [name: string]: unknown;
}

/**
 * Writes the event's values at `offset`; returns the offset after them, or -1 when the event
 * does not fit this form (nothing useful was written then). The buffer must have
 * MAX_ENCODED_EVENT_BYTES free from `offset`. Each step passes -1 on, so one check at the end
 * covers them all.
 */
export function encodeEventValues(bytes: Buffer, offset: number, e: EventFields): number {
  // Keys beyond the schema (or an optional one present as undefined) are kept whole by the
  // generic record: the spool holds what the client would send. Object.keys of an object with
  // the builder's shape is served from V8's cache (about 25 ns).
  const optionals = (e["language"] === undefined ? 0 : 1) + (e["repo_size_category"] === undefined ? 0 : 1);
  if (Object.keys(e).length !== REQUIRED_FIELDS + optionals) return -1;
  bytes[offset] = OPEN;
  let o = offset + 1;
  o = ascii(bytes, o, e["event_id"]);
  o = repeated(bytes, o, e["instance_id"], lastInstance);
  o = repeated(bytes, o, e["schema_version"], lastVersion);
  o = repeated(bytes, o, e["timestamp"], lastTimestamp);
  o = count(bytes, o, e["task_duration_ms"]);
  o = enumValue(bytes, o, e["task_type"], TASK_TYPE);
  o = enumValue(bytes, o, e["complexity"], COMPLEXITY);
  o = enumValue(bytes, o, e["harness"], HARNESS);
  o = text(bytes, o, e["model"]);
  o = enumValue(bytes, o, e["provider"], PROVIDER);
  o = count(bytes, o, e["estimated_input_tokens"]);
  o = count(bytes, o, e["estimated_output_tokens"]);
  o = count(bytes, o, e["actual_input_tokens"]);
  o = count(bytes, o, e["actual_output_tokens"]);
  o = count(bytes, o, e["estimated_cost_usd_micros"]);
  o = count(bytes, o, e["actual_cost_usd_micros"]);
  o = boolean(bytes, o, e["quality_gate_passed"]);
  o = gates(bytes, o, e["quality_gates_run"]);
  o = gates(bytes, o, e["quality_gates_failed"]);
  o = count(bytes, o, e["context_compactions"]);
  o = count(bytes, o, e["context_rotations"]);
  o = fraction(bytes, o, e["context_utilization_final"]);
  o = enumValue(bytes, o, e["outcome"], OUTCOME);
  o = count(bytes, o, e["retry_count"]);
  o = optionalText(bytes, o, e["language"]);
  o = optionalEnum(bytes, o, e["repo_size_category"], REPO_SIZE);
  if (o === -1) return -1;
  // Every step wrote a comma after its value: the last one closes the array instead.
  bytes[o - 1] = CLOSE;
  return o;
}

/**
 * Encoded strings kept for reuse: an instance id, the schema version and the timestamp (which
 * the builder shares within a millisecond) repeat from one event to the next, and copying a few
 * ready bytes is cheaper than checking and writing each character again.
 */
class EncodedStrings {
  private value: string | null = null;
  private encoded = Buffer.alloc(0);

  get(value: string): Buffer | null {
    if (value === this.value) return this.encoded;
    const scratch = Buffer.allocUnsafe(value.length + 3);
    const end = ascii(scratch, 0, value);
    if (end === -1) return null;
    this.value = value;
    this.encoded = scratch.subarray(0, end);
    return this.encoded;
  }
}

const lastInstance = new EncodedStrings();
const lastVersion = new EncodedStrings();
const lastTimestamp = new EncodedStrings();

/** The event an encoded values array stands for, or null when it is not one. */
export function decodeEventValues(values: unknown): Record<string, unknown> | null {
  if (!Array.isArray(values) || values.length !== ENCODED_FIELDS.length) return null;
  const event: Record<string, unknown> = {};
  for (let i = 0; i < ENCODED_FIELDS.length; i++) {
    const name = ENCODED_FIELDS[i] as string;
    const value: unknown = values[i];
    if (value === ABSENT && OPTIONAL.has(name)) continue;
    const code = ENCODED_ENUMS.get(name);
    if (code === undefined || value === null) event[name] = value;
    else if (Array.isArray(value)) event[name] = value.map((index) => code.values[index as number]);
    else event[name] = code.values[value as number];
    // An index the list does not hold: not a record this codec wrote.
    if (event[name] === undefined || (Array.isArray(event[name]) && (event[name] as unknown[]).includes(undefined))) return null;
  }
  return typeof event["event_id"] === "string" ? event : null;
}

/** An enum value as its index in the protocol's list; -1 for a value the list does not hold. */
function enumValue(bytes: Buffer, o: number, value: unknown, code: EnumCode): number {
  if (o === -1) return -1;
  if (value !== code.lastValue) {
    const index = typeof value === "string" ? code.index.get(value) : undefined;
    if (index === undefined) return -1;
    code.lastValue = value as string;
    code.lastIndex = index;
  }
  return integer(bytes, o, code.lastIndex);
}

/** A gate's index: the list is short, and indexOf compares the (usually identical) strings by identity first. */
function gateValue(bytes: Buffer, o: number, value: unknown): number {
  if (o === -1) return -1;
  const index = GATE.values.indexOf(value as string);
  return index === -1 ? -1 : integer(bytes, o, index);
}

function optionalEnum(bytes: Buffer, o: number, value: unknown, code: EnumCode): number {
  return value === undefined || value === null ? absentOrNull(bytes, o, value) : enumValue(bytes, o, value, code);
}

function optionalText(bytes: Buffer, o: number, value: unknown): number {
  return value === undefined || value === null ? absentOrNull(bytes, o, value) : text(bytes, o, value);
}

/** -1 for an absent optional field, null for a null one. */
function absentOrNull(bytes: Buffer, o: number, value: undefined | null): number {
  if (o === -1) return -1;
  if (value === null) o += NULL.copy(bytes, o);
  else {
    bytes[o++] = 0x2d; // "-"
    bytes[o++] = 0x31; // "1"
  }
  bytes[o++] = COMMA;
  return o;
}

/** A gate list as the indices of its gates, in its own order. */
function gates(bytes: Buffer, o: number, value: unknown): number {
  if (o === -1 || !Array.isArray(value)) return -1;
  bytes[o++] = OPEN;
  for (let i = 0; i < value.length && o !== -1; i++) o = gateValue(bytes, o, value[i]);
  if (o === -1) return -1;
  // The last item's comma closes the list; an empty list closes right after its opening.
  if (value.length > 0) o--;
  bytes[o++] = CLOSE;
  bytes[o++] = COMMA;
  return o;
}

/** A string that mostly repeats, through its cache; -1 when it is not plain ASCII. */
function repeated(bytes: Buffer, o: number, value: unknown, cache: EncodedStrings): number {
  if (o === -1 || typeof value !== "string" || value.length > MAX_STRING_LENGTH) return -1;
  const encoded = cache.get(value);
  if (encoded === null) return -1;
  // TypedArray.set (a memmove in V8's builtins), not Buffer.copy (a call into C++, which for a
  // few dozen bytes costs more than it saves) nor a loop of byte stores (slower still).
  bytes.set(encoded, o);
  return o + encoded.length;
}

/** A validated identifier, enum value or timestamp: printable ASCII without `"` or `\`, quoted. */
function ascii(bytes: Buffer, o: number, value: unknown): number {
  if (o === -1 || typeof value !== "string" || value.length > MAX_STRING_LENGTH) return -1;
  bytes[o++] = QUOTE;
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if (c < 0x20 || c > 0x7e || c === QUOTE || c === 0x5c) return -1;
    bytes[o++] = c;
  }
  bytes[o++] = QUOTE;
  bytes[o++] = COMMA;
  return o;
}

/** Free text: as it is when plain ASCII, through JSON.stringify otherwise. */
function text(bytes: Buffer, o: number, value: unknown): number {
  if (o === -1 || typeof value !== "string" || value.length > MAX_STRING_LENGTH) return -1;
  const plain = ascii(bytes, o, value);
  if (plain !== -1) return plain;
  o += bytes.write(JSON.stringify(value), o, "utf8");
  bytes[o++] = COMMA;
  return o;
}

function count(bytes: Buffer, o: number, value: unknown): number {
  if (o === -1 || typeof value !== "number" || !Number.isSafeInteger(value) || value < 0) return -1;
  return integer(bytes, o, value);
}

/** The last fraction written and its digits: a process reports the same few values again and again. */
let lastFraction = Number.NaN;
let lastFractionDigits = "";

function fraction(bytes: Buffer, o: number, value: unknown): number {
  if (o === -1 || typeof value !== "number" || !Number.isFinite(value)) return -1;
  // Object.is keeps -0 apart from 0 (String(-0) is "0", but the cache must not guess).
  if (!Object.is(value, lastFraction)) {
    lastFraction = value;
    lastFractionDigits = String(value); // valid JSON for every finite number
  }
  const digits = lastFractionDigits;
  for (let i = 0; i < digits.length; i++) bytes[o++] = digits.charCodeAt(i);
  bytes[o++] = COMMA;
  return o;
}

/** Powers of ten up to 10^15: a safe integer has at most 16 digits. */
const TENS = Array.from({ length: 16 }, (_, i) => 10 ** i);

/**
 * A non-negative safe integer's decimal digits, written without String(value): formatting a
 * number to a string allocates it, and the counters of an event are seven such numbers.
 */
function integer(bytes: Buffer, o: number, value: number): number {
  let digits = 1;
  while (digits < 16 && value >= (TENS[digits] as number)) digits++;
  if (value <= 0x7fffffff) {
    // Small integers (nearly every counter): 32-bit arithmetic, which the JIT turns into multiplies.
    for (let i = o + digits - 1, rest = value | 0; i >= o; i--) {
      const next = (rest / 10) | 0;
      bytes[i] = 0x30 + rest - next * 10;
      rest = next;
    }
  } else {
    // Exact for every safe integer: below 2^53 the quotient cannot round across a whole number.
    for (let i = o + digits - 1, rest = value; i >= o; i--) {
      const next = Math.floor(rest / 10);
      bytes[i] = 0x30 + (rest - next * 10);
      rest = next;
    }
  }
  o += digits;
  bytes[o++] = COMMA;
  return o;
}

function boolean(bytes: Buffer, o: number, value: unknown): number {
  if (o === -1 || typeof value !== "boolean") return -1;
  const word = value ? TRUE : FALSE;
  for (let i = 0; i < word.length; i++) bytes[o++] = word[i] as number;
  bytes[o++] = COMMA;
  return o;
}

