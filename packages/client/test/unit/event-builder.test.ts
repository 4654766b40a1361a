import { describe, expect, it } from "vitest";
import { EVENT_FIELDS, type TaskCompletionFields } from "@mosaicstack/telemetry-protocol";
import { TelemetryClient } from "../../src/index.js";
import { EventBuilder } from "../../src/event-builder.js";
import { API_KEY, INSTANCE_ID, errorSink, fields } from "../helpers/fixtures.js";

const NOW = Date.parse("2026-03-01T12:00:00.000Z");
const builder = new EventBuilder(INSTANCE_ID, () => NOW);

/** The caller's fields without the two optional ones. */
function requiredOnly(): TaskCompletionFields {
  const { language: _language, repo_size_category: _size, ...rest } = fields();
  return rest;
}

describe("eventBuilder.build", () => {
  // The builder names every field in one literal (speed); a field added to schema 1.0 and
  // forgotten here would silently never reach the server.
  it("carries every field of the schema, in wire order, with the caller's values", () => {
    const given = fields();
    const event = builder.build(given);
    expect(Object.keys(event)).toEqual(EVENT_FIELDS.map((field) => field.name));
    for (const [name, value] of Object.entries(given)) {
      expect((event as unknown as Record<string, unknown>)[name], name).toBe(value);
    }
    expect(event).toMatchObject({ instance_id: INSTANCE_ID, schema_version: "1.0", timestamp: "2026-03-01T12:00:00.000Z" });
  });

  it("sends the same JSON as the spread it replaced", () => {
    const given = fields();
    const event = builder.build(given);
    const spread = { ...given, event_id: event.event_id, instance_id: INSTANCE_ID, schema_version: "1.0", timestamp: event.timestamp };
    expect(JSON.parse(JSON.stringify(event))).toStrictEqual(JSON.parse(JSON.stringify(spread)));
  });

  it("leaves an absent optional field absent and keeps a null one null", () => {
    const absent = builder.build(requiredOnly());
    expect("language" in absent).toBe(false);
    expect("repo_size_category" in absent).toBe(false);
    const nulls = builder.build(fields({ language: null, repo_size_category: null }));
    expect(nulls.language).toBeNull();
    expect(nulls.repo_size_category).toBeNull();
    expect(JSON.stringify(nulls)).toContain('"language":null,"repo_size_category":null');
  });

  it("lets no key of the caller override the four SDK fields, and carries no key beyond the schema", () => {
    const stray = { ...fields(), event_id: "mine", instance_id: "theirs", schema_version: "9.9", timestamp: "then", extra: 1 };
    const event = builder.build(stray as TaskCompletionFields);
    expect(event.event_id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(event).toMatchObject({ instance_id: INSTANCE_ID, schema_version: "1.0", timestamp: "2026-03-01T12:00:00.000Z" });
    expect("extra" in event).toBe(false);
  });

  it("never throws for missing fields (JavaScript callers): track() reports the event invalid", () => {
    const sink = errorSink();
    const client = new TelemetryClient({ serverUrl: "https://x.example", apiKey: API_KEY, instanceId: INSTANCE_ID, onError: sink.onError });
    const event = client.eventBuilder.build(undefined as unknown as TaskCompletionFields);
    client.track(event);
    expect(sink.errors.map((error) => error.code)).toEqual(["invalid_event"]);
    expect(sink.messages()[0]).toContain("task_duration_ms: is required");
    expect(client.getStats()).toMatchObject({ queued: 0, invalid: 1, dropped: 1 });
  });

  // The ISO string is formatted once per clock reading; every event must still get its own
  // clock's time, whichever way the clock moves.
  it("stamps each event with the clock's time at build, forwards, repeated and backwards", () => {
    const readings = [NOW, NOW, NOW + 1, NOW + 1, NOW - 60_000, NOW, NOW + 86_400_000];
    let at = 0;
    const clocked = new EventBuilder(INSTANCE_ID, () => readings[at++] as number);
    for (const reading of readings) {
      expect(clocked.build(fields()).timestamp).toBe(new Date(reading).toISOString());
    }
  });

  it("gives each event its own id", () => {
    const ids = new Set(Array.from({ length: 100 }, () => builder.build(fields()).event_id));
    expect(ids.size).toBe(100);
  });

  // UUIDv7 (uuid-v7.ts): the server's dedup index grows at its end only if later ids sort later.
  it("makes UUIDv7 ids that carry the clock's millisecond and sort in build order", () => {
    const readings = [NOW, NOW, NOW + 1, NOW + 1_000, NOW + 86_400_000, -5];
    let at = 0;
    const clocked = new EventBuilder(INSTANCE_ID, () => readings[at++] as number);
    const ids = readings.map(() => clocked.build(fields()).event_id);
    for (const [index, id] of ids.entries()) {
      expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
      const ms = Number.parseInt(id.slice(0, 8) + id.slice(9, 13), 16);
      expect(ms).toBe(Math.max(0, readings[index] as number)); // a clock before 1970 is stamped as 1970
    }
    const inOrder = ids.slice(0, 5);
    expect([...inOrder].sort()).toEqual(inOrder); // within a millisecond too: its sequence counts up
    expect(ids.slice(0, 2).map((id) => id.slice(15, 18))).toEqual(["000", "001"]);
    expect(ids[2]?.slice(15, 18)).toBe("000"); // a new millisecond starts its sequence again
  });

  it("keeps ids unique when one millisecond has more than 4,096 of them", () => {
    const frozen = new EventBuilder(INSTANCE_ID, () => NOW);
    const ids = Array.from({ length: 5_000 }, () => frozen.build(fields()).event_id);
    expect(new Set(ids).size).toBe(5_000);
    expect([...ids.slice(0, 4_096)].sort()).toEqual(ids.slice(0, 4_096));
  });
});
