import { describe, expect, it } from "vitest";
import AjvModule from "ajv";
import addFormatsModule from "ajv-formats";
import { EVENT_FIELDS, EVENT_JSON_SCHEMA, validateEvent } from "../src/index.js";
import { validEvent } from "../src/testing.js";

const now = Date.parse("2026-11-28T12:00:00.000Z");
const Ajv = AjvModule.default ?? AjvModule;
const ajv = new Ajv({ allErrors: false, strict: false });
const addFormats = addFormatsModule.default ?? addFormatsModule;
addFormats(ajv);
const schemaAccepts = ajv.compile(EVENT_JSON_SCHEMA);

describe("validateEvent", () => {
  it("accepts the guide's event and keeps unknown fields", () => {
    const event = { ...validEvent(), extra_field: 1 };
    const result = validateEvent(event, { now });
    expect(result.ok).toBe(true);
  });

  it("accepts absent and null optional fields", () => {
    const event = validEvent();
    delete event["language"];
    expect(validateEvent({ ...event, repo_size_category: null }, { now }).ok).toBe(true);
  });

  it.each([
    ["actual_input_tokens", -1, "actual_input_tokens: must be an integer >= 0"],
    ["actual_input_tokens", 1.5, "actual_input_tokens: must be an integer >= 0"],
    ["actual_input_tokens", "7", "actual_input_tokens: must be an integer >= 0"],
    ["event_id", "not-a-uuid", "event_id: must be a UUID"],
    ["schema_version", "2.0", 'schema_version: must be "1.0"'],
    ["timestamp", "2026-11-28T12:00:00+02:00", "timestamp: must be an ISO 8601 UTC timestamp"],
    ["model", "", "model: must be a string of 1 to 100 characters"],
    ["model", "m".repeat(101), "model: must be a string of 1 to 100 characters"],
    ["context_utilization_final", 1.01, "context_utilization_final: must be a number from 0 to 1"],
    ["quality_gates_run", ["build", "build"], "quality_gates_run: must be an array of distinct values"],
    ["task_type", "IMPLEMENTATION", "task_type: must be one of"],
    ["language", "x".repeat(31), "language: must be a string of 0 to 30 characters"],
  ])("rejects %s = %j", (field, value, message) => {
    const result = validateEvent(validEvent({ [field]: value } as never), { now });
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.message).toContain(message);
  });

  it("requires every non-optional field", () => {
    for (const field of EVENT_FIELDS.filter((f) => !f.optional)) {
      const event: Record<string, unknown> = { ...validEvent() };
      delete event[field.name];
      const result = validateEvent(event, { now });
      expect(result, field.name).toEqual({ ok: false, field: field.name, message: `${field.name}: is required` });
    }
  });

  it("requires failed gates to be a subset of run gates", () => {
    const result = validateEvent(validEvent({ quality_gates_run: ["build"], quality_gates_failed: ["test"] }), { now });
    expect(result).toMatchObject({ ok: false, field: "quality_gates_failed" });
  });

  it("allows 5 minutes of clock skew and no more", () => {
    const at = (ms: number) => validEvent({ timestamp: new Date(now + ms).toISOString() });
    expect(validateEvent(at(5 * 60_000), { now }).ok).toBe(true);
    expect(validateEvent(at(5 * 60_000 + 1), { now }).ok).toBe(false);
  });

  it("agrees with the JSON Schema on every single-field change", () => {
    const candidates: unknown[] = [null, -1, 0, 1.5, "", "x", "implementation", true, [], ["build"], {}, "2026-01-01T00:00:00Z"];
    for (const field of EVENT_FIELDS) {
      for (const value of candidates) {
        const event = validEvent({ [field.name]: value } as never);
        // The schema cannot express the future-timestamp or subset rules; keep them out of play.
        const ours = validateEvent(event, { now: Number.MAX_SAFE_INTEGER / 2 });
        const subsetBroken = field.name === "quality_gates_run" && ours.ok === false && ours.field === "quality_gates_failed";
        if (subsetBroken) continue;
        expect(ours.ok, `${field.name}=${JSON.stringify(value)}`).toBe(schemaAccepts(event));
      }
    }
  });
});

describe("validateEvent: dates that do not exist and text that misleads", () => {
  it.each([
    ["2026-02-30T12:00:00Z", "timestamp: must be a real calendar date and time"],
    ["2026-02-29T12:00:00Z", "timestamp: must be a real calendar date and time"],
    ["2026-04-31T12:00:00Z", "timestamp: must be a real calendar date and time"],
    ["2026-13-01T12:00:00Z", "timestamp: must be a real calendar date and time"],
    ["2026-00-10T12:00:00Z", "timestamp: must be a real calendar date and time"],
    ["2026-01-00T12:00:00Z", "timestamp: must be a real calendar date and time"],
    ["2026-01-01T24:00:00Z", "timestamp: must be a real calendar date and time"],
    ["2026-01-01T23:60:00Z", "timestamp: must be a real calendar date and time"],
    ["2026-01-01T23:59:60Z", "timestamp: must be a real calendar date and time"],
    ["0001-01-01T00:00:00Z", "timestamp: must not be before 2000-01-01"],
    ["1999-12-31T23:59:59.999Z", "timestamp: must not be before 2000-01-01"],
  ])("refuses timestamp %s", (timestamp, message) => {
    expect(validateEvent(validEvent({ timestamp }), { now })).toEqual({ ok: false, field: "timestamp", message });
  });

  it.each(["2024-02-29T00:00:00Z", "2000-02-29T00:00:00+00:00", "2000-01-01T00:00:00Z", "2026-11-28T11:59:59.123456789Z"])(
    "accepts timestamp %s",
    (timestamp) => {
      expect(validateEvent(validEvent({ timestamp }), { now }).ok).toBe(true);
    },
  );

  it.each([
    ["NUL", "gpt\u0000-4"],
    ["a line feed", "gpt\n4"],
    ["DEL", "gpt\u007f"],
    ["a C1 control", "gpt\u0085"],
    ["a lone high surrogate", "gpt\ud800"],
    ["a lone low surrogate", "\udc00gpt"],
    ["a right-to-left override", "gpt\u202e4-ecnanif"],
    ["a left-to-right isolate", "\u2066gpt\u2069"],
    ["a right-to-left mark", "gpt\u200f"],
    ["an Arabic letter mark", "gpt\u061c"],
  ])("refuses a model with %s", (_what, model) => {
    expect(validateEvent(validEvent({ model }), { now })).toEqual({
      ok: false,
      field: "model",
      message: "model: must not hold control characters, lone surrogates or bidirectional controls",
    });
    expect(schemaAccepts(validEvent({ model }))).toBe(false);
  });

  it.each(["claude-sonnet-4-5", "modèle-é", "模型", "emoji-\ud83d\ude00", "tab-free name with spaces", "line\u2028separator"])(
    "accepts the model %j (and so does the JSON Schema)",
    (model) => {
      expect(validateEvent(validEvent({ model }), { now }).ok).toBe(true);
      expect(schemaAccepts(validEvent({ model }))).toBe(true);
    },
  );
});
