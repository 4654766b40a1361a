import fc from "fast-check";
import { EVENT_FIELDS, QualityGate, enumValues, validateEvent, type TaskCompletionEvent } from "@mosaicstack/telemetry-protocol";
import { describe, expect, it } from "vitest";
import { eventJson } from "../../src/storage/event-json.js";
import { compactEvent, isCompact, storedEvent } from "../../src/storage/sqlite/compact-event.js";
import { makeEvent } from "./storage-fixtures.js";

const instanceId = "6f1c2d3e-4a5b-4c6d-8e7f-9a0b1c2d3e4f";

/** The row SQLite keeps for an event: the three columns and the compact payload. */
function rowOf(event: TaskCompletionEvent) {
  return { instance_id: event.instance_id, event_id: event.event_id, timestamp: event.timestamp, payload: compactEvent(event) };
}

/** The event's known fields in the field table's order. */
function knownFields(event: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(EVENT_FIELDS.filter(({ name }) => event[name] !== undefined).map(({ name }) => [name, event[name]]));
}

const GATES = enumValues(QualityGate);

describe("compact stored events (SQLite)", () => {
  it("reads back every valid event as it was validated, its fields in the field table's order", () => {
    fc.assert(
      fc.property(
        fc.oneof(fc.string({ unit: "grapheme", minLength: 1, maxLength: 100 }), fc.constantFrom('claude "sonnet" \\ 4.5', "模型\u{1F600}", "</script>")),
        fc.constantFrom<string | null | undefined>("typescript", "", 'a "quoted" \\ tongue\u2028', null, undefined),
        fc.constantFrom<"medium" | null | undefined>("medium", null, undefined),
        fc.nat(),
        fc.double({ min: 0, max: 1, noNaN: true }),
        fc.boolean(),
        fc.subarray([...GATES]),
        fc.subarray([...GATES]),
        fc.dictionary(fc.string({ maxLength: 8 }), fc.jsonValue({ maxDepth: 2 }), { maxKeys: 3 }),
        (model, language, size, count, utilization, passed, run, failed, extra) => {
          const event = {
            ...extra,
            ...makeEvent(instanceId, {
              model,
              actual_input_tokens: count,
              context_utilization_final: utilization,
              quality_gate_passed: passed,
              quality_gates_run: run,
              quality_gates_failed: failed,
            }),
          } as Record<string, unknown>;
          if (language === undefined) delete event["language"];
          else event["language"] = language;
          if (size === undefined) delete event["repo_size_category"];
          else event["repo_size_category"] = size;
          const checked = validateEvent(event);
          if (!checked.ok) return; // a plain-text rule refused the model: nothing to store
          const read = storedEvent(rowOf(checked.event));
          expect(read).toEqual(knownFields(event));
          // Same keys in the same order: the text the event was stored as before the compact form.
          expect(JSON.stringify(read)).toBe(eventJson(checked.event));
        },
      ),
      { numRuns: 500 },
    );
  });

  it("keeps an absent optional field absent and a null one null", () => {
    const absent = makeEvent(instanceId);
    delete (absent as Partial<TaskCompletionEvent>).language;
    const nulls = makeEvent(instanceId, { language: null as never, repo_size_category: null as never });
    expect(storedEvent(rowOf(absent))).not.toHaveProperty("language");
    expect(storedEvent(rowOf(nulls))).toMatchObject({ language: null, repo_size_category: null });
  });

  it("is under a third of the event as an object, and leaves out what the row's columns hold", () => {
    const event = makeEvent(instanceId);
    const row = rowOf(event);
    expect(row.payload.length * 3).toBeLessThan(eventJson(event).length);
    for (const column of [event.event_id, event.instance_id, event.timestamp]) expect(row.payload).not.toContain(column);
    expect(isCompact(row)).toBe(true);
  });

  it("reads a row stored as an event object (before the compact form) as it is", () => {
    const event = makeEvent(instanceId);
    const row = { ...rowOf(event), payload: eventJson(event) };
    expect(isCompact(row)).toBe(false);
    expect(storedEvent(row)).toEqual(knownFields(event as unknown as Record<string, unknown>));
  });

  it("refuses a layout it does not know, naming the event", () => {
    const event = makeEvent(instanceId);
    const row = { ...rowOf(event), payload: compactEvent(event).replace('"1.0"', '"9.9"') };
    expect(() => storedEvent(row)).toThrow(`stored event ${event.event_id} has an unknown layout (9.9)`);
  });
});
