import fc from "fast-check";
import { EVENT_FIELDS, type TaskCompletionEvent } from "@mosaicstack/telemetry-protocol";
import { describe, expect, it } from "vitest";
import { eventJson } from "../../src/storage/event-json.js";
import { makeEvent } from "../storage/storage-fixtures.js";

/** JSON.stringify of the event's known fields in the field table's order: what eventJson must write, byte for byte. */
function reference(event: Record<string, unknown>): string {
  const known: Record<string, unknown> = {};
  for (const { name } of EVENT_FIELDS) if (event[name] !== undefined) known[name] = event[name];
  return JSON.stringify(known);
}

const id = "6f1c2d3e-4a5b-4c6d-8e7f-9a0b1c2d3e4f";

describe("eventJson", () => {
  it("writes what JSON.stringify writes of the known fields, for any strings and numbers a valid event holds", () => {
    fc.assert(
      fc.property(
        fc.string({ unit: "grapheme", minLength: 1, maxLength: 100 }),
        fc.option(fc.string({ unit: "binary", maxLength: 30 }), { nil: undefined }),
        fc.nat(),
        fc.double({ min: 0, max: 1, noNaN: true }),
        fc.constantFrom<"medium" | null | undefined>("medium", null, undefined),
        fc.dictionary(fc.string({ maxLength: 8 }), fc.jsonValue({ maxDepth: 2 }), { maxKeys: 3 }),
        (model, language, count, utilization, size, extra) => {
          const event = {
            ...extra,
            ...makeEvent(id, { model, actual_input_tokens: count, context_utilization_final: utilization }),
          } as Record<string, unknown>;
          if (language === undefined) delete event["language"];
          else event["language"] = language;
          if (size === undefined) delete event["repo_size_category"];
          else event["repo_size_category"] = size;
          const payload = eventJson(event as unknown as TaskCompletionEvent);
          expect(payload).toBe(reference(event));
        },
      ),
      { numRuns: 500 },
    );
  });

  it("keeps no unknown field, however large", () => {
    const event = { ...makeEvent(id), junk: "x".repeat(100_000), nested: { a: [1, 2, { b: 3 }] } };
    const payload = eventJson(event);
    expect(payload.length).toBeLessThan(1_000);
    expect(JSON.parse(payload)).not.toHaveProperty("junk");
  });
});
