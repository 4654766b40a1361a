import { describe, expect, it } from "vitest";
import AjvModule from "ajv";
import addFormatsModule from "ajv-formats";
import { EVENT_FIELDS, EVENT_JSON_SCHEMA, validateEvent } from "../src/index.js";
import { validEvent } from "./fixtures.js";

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
      const event = validEvent();
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
