import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { EVENT_FIELDS, type TaskCompletionEvent } from "@mosaicstack/telemetry-protocol";
import { EventBuilder } from "../../src/event-builder.js";
import { decodeEventValues } from "../../src/spool/spool-event-codec.js";
import { ENCODED_ENUMS, ENCODED_FIELDS } from "../../src/spool/spool-event-layout.js";
import { readRecords } from "../../src/spool/spool-record-reader.js";
import { RecordBuffer } from "../../src/spool/spool-record.js";
import { INSTANCE_ID, fields } from "../helpers/fixtures.js";

const builder = new EventBuilder(INSTANCE_ID, () => Date.parse("2026-03-01T12:00:00.000Z"));

/** The event as the spool gives it back, and the record's kind letter and size. */
function roundTrip(event: object, id = (event as { event_id: string }).event_id) {
  const buffer = new RecordBuffer();
  const size = buffer.add(id, event);
  const data = Buffer.from(buffer.view());
  const { records, corrupt } = readRecords(data);
  expect(corrupt).toBe(0);
  expect(records).toHaveLength(1);
  const record = records[0] as { kind: string; id: string; event: object };
  expect(record.id).toBe(id);
  return { event: record.event, kind: String.fromCharCode(data[9] as number), size };
}

describe("the spool's compact event form (record kind E)", () => {
  // The order of the values and of each enum's list is the file format: a spool written by one
  // release is read by the next. Changing either needs a new record kind, not an edit here.
  it("keeps schema 1.0's fields in the protocol's order", () => {
    expect(ENCODED_FIELDS).toEqual(EVENT_FIELDS.map((field) => field.name));
  });

  it("writes as indices only values of the protocol's lists, in the protocol's order", () => {
    expect([...ENCODED_ENUMS.keys()].sort()).toEqual(EVENT_FIELDS.filter((field) => "values" in field.rule).map((field) => field.name).sort());
    for (const [name, code] of ENCODED_ENUMS) {
      const protocol = (EVENT_FIELDS.find((field) => field.name === name)?.rule as { values: readonly string[] }).values;
      // The protocol may gain values at the end of a list; the format keeps the ones it has.
      expect(protocol.slice(0, code.values.length), name).toEqual(code.values);
    }
  });

  it("a value the format's lists lack (one a later protocol adds) goes as a generic record, whole", () => {
    const event = { ...builder.build(fields()), harness: "a-harness-of-the-future" };
    const { event: back, kind } = roundTrip(event);
    expect(kind).toBe("A");
    expect(back).toEqual(event);
  });

  it("round-trips a built event exactly, as a record of about a quarter of its JSON's size", () => {
    const event = builder.build(fields());
    const { event: back, kind, size } = roundTrip(event);
    expect(kind).toBe("E");
    expect(back).toEqual(event);
    expect(size).toBeLessThan(JSON.stringify(event).length / 2.5);
  });

  it("keeps absent and null optional fields apart, and gate lists in their own order", () => {
    const base = fields();
    delete (base as Partial<typeof base>).language;
    delete (base as Partial<typeof base>).repo_size_category;
    const absent = builder.build(base);
    expect(roundTrip(absent).event).toEqual(absent);
    expect("language" in roundTrip(absent).event).toBe(false);
    const nulls = builder.build(fields({ language: null, repo_size_category: null }));
    expect(roundTrip(nulls).event).toEqual(nulls);
    const reordered = builder.build(fields({ quality_gates_run: ["typecheck", "build", "security"], quality_gates_failed: ["security", "build"] }));
    expect(roundTrip(reordered).event).toEqual(reordered);
  });

  it("writes free text that needs escaping through JSON, and reads it back", () => {
    for (const model of ['mod"el\\x', "模型-ü", "emoji 🎉 model", "tab\there"]) {
      const event = builder.build(fields({ model, language: 'ty"pe' }));
      const { event: back, kind } = roundTrip(event);
      expect(kind).toBe("E");
      expect(back).toEqual(event);
    }
  });

  it("declines what it cannot hold, and the generic record keeps it", () => {
    const unknownEnum = { ...builder.build(fields()), task_type: "not-a-task-type" };
    const textCount = { ...builder.build(fields()), actual_input_tokens: "215000" };
    const otherId = builder.build(fields());
    const extraKey = { ...builder.build(fields()), price_table: "genai-prices 0.1.8" };
    const undefinedOptional = { ...builder.build(fields()), language: undefined };
    for (const [event, id] of [
      [unknownEnum, unknownEnum.event_id],
      [textCount, textCount.event_id],
      [otherId, "the-id-it-was-appended-under"],
      [extraKey, extraKey.event_id],
      [undefinedOptional, undefinedOptional.event_id],
    ] as const) {
      const { event: back, kind } = roundTrip(event, id);
      expect(kind).toBe("A");
      expect(back).toEqual(JSON.parse(JSON.stringify(event)));
    }
  });

  it("writes every digit count of the counters exactly, and repeated and changing fractions", () => {
    const edges = [0, 9, 10, 99, 100, 1_000_000, 999_999_999_999_999, 1e15, Number.MAX_SAFE_INTEGER - 1, Number.MAX_SAFE_INTEGER];
    for (const n of edges) {
      const event = builder.build(fields({ task_duration_ms: n, retry_count: n, actual_cost_usd_micros: n }));
      expect(roundTrip(event).event, String(n)).toEqual(event);
    }
    for (const utilization of [0.5, 0.5, 0, 1, 0.1 + 0.2, 0.5]) {
      const event = builder.build(fields({ context_utilization_final: utilization }));
      expect(roundTrip(event).event).toEqual(event);
    }
  });

  it("reads no event from values that are not its own (wrong length, an index no list holds)", () => {
    const values = JSON.parse(`[${"0,".repeat(ENCODED_FIELDS.length - 1)}0]`) as unknown[];
    values[0] = "an-id";
    expect(decodeEventValues(values.slice(1))).toBeNull();
    values[ENCODED_FIELDS.indexOf("task_type")] = 999;
    expect(decodeEventValues(values)).toBeNull();
  });

  it("round-trips any valid event (property)", () => {
    const gates = ENCODED_ENUMS.get("quality_gates_run")?.values as string[];
    const pick = (name: string) => fc.constantFrom(...(ENCODED_ENUMS.get(name)?.values as string[]));
    const gateList = fc.shuffledSubarray(gates);
    const count = fc.nat({ max: Number.MAX_SAFE_INTEGER });
    const eventArb = fc.record(
      {
        task_duration_ms: count,
        task_type: pick("task_type"),
        complexity: pick("complexity"),
        harness: pick("harness"),
        model: fc.string({ minLength: 1, maxLength: 100, unit: "grapheme" }),
        provider: pick("provider"),
        estimated_input_tokens: count,
        estimated_output_tokens: count,
        actual_input_tokens: count,
        actual_output_tokens: count,
        estimated_cost_usd_micros: count,
        actual_cost_usd_micros: count,
        quality_gate_passed: fc.boolean(),
        quality_gates_run: gateList,
        quality_gates_failed: gateList,
        context_compactions: count,
        context_rotations: count,
        context_utilization_final: fc.double({ min: 0, max: 1, noNaN: true }),
        outcome: pick("outcome"),
        retry_count: count,
        language: fc.option(fc.string({ maxLength: 30 }), { nil: null }),
        repo_size_category: fc.option(pick("repo_size_category"), { nil: null }),
      },
      { requiredKeys: [...ENCODED_FIELDS.filter((name) => !["language", "repo_size_category", "event_id", "instance_id", "schema_version", "timestamp"].includes(name))] as never },
    );
    fc.assert(
      fc.property(eventArb, (drawn) => {
        const event = builder.build(drawn as never) as TaskCompletionEvent;
        expect(roundTrip(event).event).toEqual(event);
      }),
      { numRuns: 500 },
    );
  });
});
