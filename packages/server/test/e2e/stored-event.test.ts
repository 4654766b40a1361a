import { gzipSync } from "node:zlib";
import { EVENT_FIELDS, type TaskCompletionEvent } from "@mosaicstack/telemetry-protocol";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { compactEvent } from "../../src/storage/sqlite/compact-event.js";
import { makeEvent } from "../storage/storage-fixtures.js";
import { ENGINES } from "../helpers/engines.js";
import { startOn, type EngineServer } from "./engines.js";
import { createInstance, usageOf, type CreatedInstance } from "./live-server.js";

/**
 * What is stored is exactly the event the validator accepted: its known fields, once each, with
 * the values the validator read, ids in lower case (src/storage/event-json.ts for PostgreSQL's
 * JSON objects, src/storage/sqlite/compact-event.ts for SQLite's arrays,
 * src/ingest/canonical-event.ts). Each case replays an attack found on a running server.
 */
const KNOWN = EVENT_FIELDS.map((field) => field.name);

function knownFields(event: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(KNOWN.filter((name) => name in event).map((name) => [name, event[name]]));
}

for (const engine of ENGINES) {
  describe.skipIf(engine.skip !== null)(`stored event, ${engine.name}${engine.skip ? ` (skipped: ${engine.skip})` : ""}`, () => {
    let live: EngineServer;
    let instance: CreatedInstance;
    let other: CreatedInstance;
    beforeAll(async () => {
      live = await startOn(engine.name);
      instance = await createInstance(live.server.url, "stored-event");
      other = await createInstance(live.server.url, "stored-event-other");
    });
    afterAll(async () => live?.close());

    async function post(body: string | Uint8Array, headers: Record<string, string> = {}): Promise<Response> {
      return fetch(`${live.server.url}/v1/events/batch`, {
        method: "POST",
        headers: { authorization: `Bearer ${instance.apiKey}`, "content-type": "application/json", ...headers },
        body,
      });
    }

    /**
     * The stored payload's keys in order, read from the text (so a key stored twice shows twice).
     * PostgreSQL only: SQLite's compact array has no keys, one slot per known field.
     */
    function keysOf(text: string): string[] {
      return [...text.matchAll(/"([a-z_]+)":/g)].map((match) => match[1] as string);
    }

    it("stores the known fields only, once each, in the field table's order, whatever the spelling sent", async () => {
      const event = makeEvent(instance.instanceId) as unknown as Record<string, unknown>;
      const { model: _model, estimated_input_tokens: _tokens, ...rest } = event;
      const text = `{ "model" : "cl\\u0061ude-\\"quoted\\"" ,\n\t"estimated_input_tokens": 1.0e3, "x_extra": [ 1, {"k": null} ], ${JSON.stringify(rest).slice(1, -1)} }`;
      const rejected = JSON.stringify(makeEvent(instance.instanceId, { actual_input_tokens: -1 }));
      const answer = await post(`\n{"events" :[ ${text} ,${rejected}] }`);
      expect(answer.status).toBe(200);
      expect(((await answer.json()) as { accepted: number }).accepted).toBe(1);
      const stored = (await live.storedText(instance.instanceId, event["event_id"] as string)) as string;
      const expected = knownFields({ ...event, model: 'claude-"quoted"', estimated_input_tokens: 1000 });
      const read = (await live.storedEvent(instance.instanceId, event["event_id"] as string)) as Record<string, unknown>;
      expect(read).toEqual(expected);
      expect(Object.keys(read)).toEqual(KNOWN.filter((name) => name in expected));
      if (engine.name === "sqlite") expect(stored).toBe(compactEvent(expected as unknown as TaskCompletionEvent));
      else expect(keysOf(stored)).toEqual(KNOWN.filter((name) => name in expected));
    });

    it("does not store unknown fields: 9.5 KB of junk per event is dropped, the event kept", async () => {
      const events = Array.from({ length: 100 }, () => makeEvent(instance.instanceId, { junk: "x".repeat(9_500), more: { deep: [1, [2, [3]]] } } as never));
      const answer = await post(JSON.stringify({ events }));
      expect(answer.status).toBe(200);
      expect(((await answer.json()) as { accepted: number }).accepted).toBe(100);
      for (const event of events.slice(0, 3)) {
        const stored = (await live.storedText(instance.instanceId, event.event_id)) as string;
        expect(stored.length).toBeLessThan(1_000);
        expect(await live.storedEvent(instance.instanceId, event.event_id)).toEqual(knownFields(event as unknown as Record<string, unknown>));
      }
    });

    it("refuses a body nested 500 000 levels deep (1 MB) with a 400 before parsing it, and stores nothing", async () => {
      const before = (await usageOf(live.server.url, instance.instanceId)).events;
      const event = JSON.stringify(makeEvent(instance.instanceId));
      const body = `{"events":[${event.slice(0, -1)},"deep":${"[".repeat(500_000)}${"]".repeat(500_000)}}]}`;
      expect(body.length).toBeGreaterThan(1_000_000);
      const startedAt = performance.now();
      const answer = await post(body);
      expect(answer.status).toBe(400);
      expect(await answer.json()).toEqual({
        error: { code: "invalid_request", message: "request body nests arrays and objects deeper than 32 levels" },
      });
      expect(performance.now() - startedAt).toBeLessThan(2_000);
      expect((await usageOf(live.server.url, instance.instanceId)).events).toBe(before);
      // Within the bound, nesting in an unknown field is accepted (unknown fields are ignored) and not stored.
      const nested = makeEvent(instance.instanceId);
      const within = await post(`{"events":[${JSON.stringify(nested).slice(0, -1)},"deep":${"[".repeat(29)}${"]".repeat(29)}}]}`);
      expect(((await within.json()) as { accepted: number }).accepted).toBe(1);
      expect(await live.storedEvent(instance.instanceId, nested.event_id)).toEqual(knownFields(nested as unknown as Record<string, unknown>));
      expect(await live.storedText(instance.instanceId, nested.event_id)).not.toContain("[[");
    });

    it("stores the values the validator read when a key is sent twice, never the other instance's id or a negative count", async () => {
      const event = makeEvent(instance.instanceId, { actual_input_tokens: 7 });
      const { instance_id: _id, actual_input_tokens: _tokens, ...rest } = event;
      // JSON.parse keeps the last copy of a key; the first copies are what a reader of the raw text would find first.
      const text = `{"instance_id":"${other.instanceId}","actual_input_tokens":-5,${JSON.stringify(rest).slice(1, -1)},"actual_input_tokens":7,"instance_id":"${instance.instanceId}"}`;
      const answer = await post(`{"events":[${text}]}`);
      expect(((await answer.json()) as { accepted: number }).accepted).toBe(1);
      const stored = (await live.storedText(instance.instanceId, event.event_id)) as string;
      if (engine.name === "postgres") {
        expect(keysOf(stored).filter((key) => key === "instance_id" || key === "actual_input_tokens")).toEqual(["instance_id", "actual_input_tokens"]);
      }
      expect(stored).not.toContain(other.instanceId);
      expect(stored).not.toContain("-5,");
      expect(await live.storedEvent(instance.instanceId, event.event_id)).toEqual(knownFields(event as unknown as Record<string, unknown>));
    });

    it("dedups event ids case-insensitively: an upper-case copy is a duplicate, stored once in lower case; results echo the id as sent", async () => {
      const event = makeEvent(instance.instanceId);
      const upper = { ...event, event_id: event.event_id.toUpperCase(), instance_id: event.instance_id.toUpperCase() };
      const before = (await usageOf(live.server.url, instance.instanceId)).events;
      const first = (await (await post(JSON.stringify({ events: [upper, event] }))).json()) as { results: { event_id: string; status: string }[] };
      expect(first.results).toEqual([
        { index: 0, event_id: upper.event_id, status: "accepted" },
        { index: 1, event_id: event.event_id, status: "duplicate" },
      ]);
      const again = (await (await post(JSON.stringify({ events: [upper] }))).json()) as { duplicates: number };
      expect(again.duplicates).toBe(1);
      expect((await usageOf(live.server.url, instance.instanceId)).events).toBe(before + 1);
      expect(await live.storedText(instance.instanceId, upper.event_id)).toBeUndefined();
      expect(await live.storedEvent(instance.instanceId, event.event_id)).toMatchObject({
        event_id: event.event_id,
        instance_id: instance.instanceId,
      });
    });

    it("stores the same event from a gzip body", async () => {
      const event = makeEvent(instance.instanceId, { note: "not kept" } as never);
      const answer = await post(gzipSync(JSON.stringify({ events: [event] })), { "content-encoding": "gzip" });
      expect(answer.status).toBe(200);
      expect(await live.storedEvent(instance.instanceId, event.event_id)).toEqual(
        knownFields(event as unknown as Record<string, unknown>),
      );
    });
  });
}
