import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  Complexity,
  EVENT_FIELDS,
  Harness,
  UTC_TIMESTAMP_PATTERN,
  UUID_PATTERN,
  Outcome,
  Provider,
  QualityGate,
  RepoSizeCategory,
  TaskType,
  validateEvent,
} from "@mosaicstack/telemetry-protocol";
import { isUuid, isValidEvent } from "../../src/event-check.js";
import { EventBuilder } from "../../src/event-builder.js";
import { INSTANCE_ID, fields } from "../helpers/fixtures.js";

const NOW = Date.parse("2026-03-01T12:00:00.000Z");
const builder = new EventBuilder(INSTANCE_ID, () => NOW);

/** Both validators on one value: the fast check must accept exactly what validateEvent accepts. */
function agree(value: unknown, now = NOW): void {
  const protocol = validateEvent(value, { now });
  expect(isValidEvent(value, now), protocol.ok ? "accepted by validateEvent" : protocol.message).toBe(protocol.ok);
}

const values = <T extends Record<string, string>>(e: T): string[] => Object.values(e);
const gateList = fc.uniqueArray(fc.constantFrom(...values(QualityGate)), { maxLength: 6 });

/** Any event validateEvent accepts (and a few near its edges). */
const validEvent = fc
  .record({
    task_duration_ms: fc.nat(),
    task_type: fc.constantFrom(...values(TaskType)),
    complexity: fc.constantFrom(...values(Complexity)),
    harness: fc.constantFrom(...values(Harness)),
    model: fc.string({ minLength: 1, maxLength: 100 }),
    provider: fc.constantFrom(...values(Provider)),
    estimated_input_tokens: fc.maxSafeNat(),
    estimated_output_tokens: fc.nat(),
    actual_input_tokens: fc.nat(),
    actual_output_tokens: fc.nat(),
    estimated_cost_usd_micros: fc.nat(),
    actual_cost_usd_micros: fc.maxSafeNat(),
    quality_gate_passed: fc.boolean(),
    quality_gates_run: gateList,
    context_compactions: fc.nat(),
    context_rotations: fc.nat(),
    context_utilization_final: fc.double({ min: 0, max: 1, noNaN: true }),
    outcome: fc.constantFrom(...values(Outcome)),
    retry_count: fc.nat(),
    language: fc.option(fc.string({ maxLength: 30 }), { nil: undefined }),
    repo_size_category: fc.option(fc.constantFrom(...values(RepoSizeCategory)), { nil: null }),
  })
  .chain((base) =>
    fc.subarray(base.quality_gates_run).map((failed) => builder.build({ ...base, quality_gates_failed: failed } as never)),
  );

/** Values that break some rule somewhere (and some that keep it), for any field. */
const anyValue = fc.oneof(
  fc.constantFrom(
    undefined,
    null,
    "",
    " ",
    0,
    -1,
    1,
    1.5,
    -0,
    Number.NaN,
    Number.POSITIVE_INFINITY,
    2 ** 53,
    true,
    false,
    [],
    {},
    ["build"],
    ["build", "build"],
    ["nope"],
    [null],
    "1.0",
    "1.1",
    "x".repeat(30),
    "x".repeat(31),
    "x".repeat(100),
    "x".repeat(101),
    "IMPLEMENTATION",
    "implementation",
    "medium",
    "success",
    "anthropic",
    "claude_code",
    "a1b2c3d4-e5f6-4a7b-8c9d-0e1f2a3b4c5d",
    "a1b2c3d4-e5f6-4a7b-8c9d-0e1f2a3b4c5",
    "2026-03-01T12:00:00Z",
    "2026-03-01T12:04:59.999+00:00",
    "2026-03-01T12:05:00.001Z",
    "2026-02-30T12:00:00Z",
    "2026-03-01 12:00:00Z",
    "2026-03-01T12:00:00+01:00",
    "1999-12-31T23:59:59.999Z",
    "2000-01-01T00:00:00Z",
    "0001-01-01T00:00:00Z",
    "2026-13-01T00:00:00Z",
    "2026-02-29T00:00:00Z",
    "2028-02-29T00:00:00Z",
    "2026-03-01T24:00:00Z",
    "2026-03-01T12:60:00Z",
    "mod\u0000el",
    "model\u007f",
    "\u202emodel",
    "mod\u2066el",
    "a\ud800b",
    "plain 🎉 model",
    "modèle",
  ),
  fc.string(),
  fc.integer(),
  fc.double(),
  fc.array(fc.constantFrom(...values(QualityGate), "x"), { maxLength: 8 }),
);

const fieldName = fc.constantFrom(...EVENT_FIELDS.map((field) => field.name), "extra");

describe("isValidEvent (track()'s fast check)", () => {
  // The check is written out field by field for these fields and rules: a change to the
  // protocol's table must come with a change to event-check.ts (and then to this list).
  it("was written for exactly this schema table", () => {
    expect(EVENT_FIELDS.map((field) => [field.name, field.rule.kind, field.optional])).toEqual([
      ["event_id", "uuid", false],
      ["instance_id", "uuid", false],
      ["schema_version", "const", false],
      ["timestamp", "timestamp", false],
      ["task_duration_ms", "count", false],
      ["task_type", "enum", false],
      ["complexity", "enum", false],
      ["harness", "enum", false],
      ["model", "string", false],
      ["provider", "enum", false],
      ["estimated_input_tokens", "count", false],
      ["estimated_output_tokens", "count", false],
      ["actual_input_tokens", "count", false],
      ["actual_output_tokens", "count", false],
      ["estimated_cost_usd_micros", "count", false],
      ["actual_cost_usd_micros", "count", false],
      ["quality_gate_passed", "boolean", false],
      ["quality_gates_run", "enum-list", false],
      ["quality_gates_failed", "enum-list", false],
      ["context_compactions", "count", false],
      ["context_rotations", "count", false],
      ["context_utilization_final", "fraction", false],
      ["outcome", "enum", false],
      ["retry_count", "count", false],
      ["language", "string", true],
      ["repo_size_category", "enum", true],
    ]);
    const run = EVENT_FIELDS.find((field) => field.name === "quality_gates_run")?.rule;
    const failed = EVENT_FIELDS.find((field) => field.name === "quality_gates_failed")?.rule;
    expect(failed).toEqual(run);
  });

  it("accepts every event validateEvent accepts", () => {
    fc.assert(
      fc.property(validEvent, (event) => {
        expect(validateEvent(event, { now: NOW }).ok).toBe(true);
        expect(isValidEvent(event, NOW)).toBe(true);
      }),
      { numRuns: 3_000 },
    );
  });

  it("agrees with validateEvent when one to three fields are changed, removed or added", () => {
    const edit = fc.tuple(fieldName, anyValue, fc.boolean());
    fc.assert(
      fc.property(validEvent, fc.array(edit, { minLength: 1, maxLength: 3 }), (event, edits) => {
        const broken: Record<string, unknown> = { ...event };
        for (const [name, value, remove] of edits) {
          if (remove) delete broken[name];
          else broken[name] = value;
        }
        agree(broken);
      }),
      { numRuns: 20_000 },
    );
  });

  it("agrees on a failed gate that was not run, on the future-timestamp bound and on non-objects", () => {
    agree(builder.build(fields({ quality_gates_run: ["build"], quality_gates_failed: ["test"] })));
    agree(builder.build(fields({ quality_gates_run: ["build", "test"], quality_gates_failed: ["test"] })));
    const event = builder.build(fields());
    for (const skew of [-1, 0, 1]) agree(event, NOW - 5 * 60_000 + skew);
    for (const value of [null, undefined, 0, "event", [], [event], () => event]) agree(value);
  });

  it("checks a UUID exactly as UUID_PATTERN does, character by character", () => {
    const pattern = new RegExp(UUID_PATTERN);
    const uuidLike = fc
      .array(fc.constantFrom(..."0123456789abcdefABCDEFgG-xz \u00e9\u0660\uff10\ud83d\n"), { minLength: 34, maxLength: 38 })
      .map((chars) => chars.join(""));
    const edited = fc
      .tuple(fc.uuid(), fc.nat(35), fc.string({ maxLength: 2 }), fc.boolean())
      .map(([id, at, text, replace]) => id.slice(0, at) + text + id.slice(replace ? at + 1 : at));
    fc.assert(
      fc.property(fc.oneof(fc.uuid(), uuidLike, edited, fc.string()), (value) => {
        expect(isUuid(value), value).toBe(pattern.test(value));
      }),
      { numRuns: 20_000 },
    );
    for (const value of ["A1B2C3D4-E5F6-4A7B-8C9D-0E1F2A3B4C5D", "a1b2c3d4-e5f6-4a7b-8c9d-0e1f2a3b4c5d\n", "a1b2c3d4e5f6-4a7b-8c9d-0e1f2a3b4c5d-"]) {
      expect(isUuid(value), value).toBe(pattern.test(value));
    }
  });

  // The check remembers the last timestamp string it parsed: a different string after it, a
  // broken one after a good one and the same one again must each get their own verdict.
  it("agrees on timestamps that alternate between good, broken and future ones", () => {
    const timestamps = [
      "2026-03-01T12:00:00.000Z",
      "2026-02-30T12:00:00Z",
      "2026-03-01T12:00:00.000Z",
      "2026-03-01T12:00:00.000Z",
      "2026-03-01T12:06:00.000Z",
      "2026-03-01 12:00:00Z",
      "2026-03-01T11:59:59.999+00:00",
    ];
    const pattern = new RegExp(UTC_TIMESTAMP_PATTERN);
    expect(timestamps.some((timestamp) => !pattern.test(timestamp))).toBe(true);
    fc.assert(
      fc.property(fc.array(fc.constantFrom(...timestamps), { minLength: 1, maxLength: 12 }), fc.integer({ min: -600_000, max: 600_000 }), (sequence, skew) => {
        for (const timestamp of sequence) agree({ ...builder.build(fields()), timestamp }, NOW + skew);
      }),
      { numRuns: 2_000 },
    );
  });
});
