import { gzipSync } from "node:zlib";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { makeEvent } from "../storage/storage-fixtures.js";
import { ENGINES, startOn, type EngineServer } from "./engines.js";
import { createInstance, type CreatedInstance } from "./live-server.js";

/**
 * Each accepted event is stored as the text it arrived as (src/http/event-texts.ts), not as a new
 * serialisation of the parsed object: whitespace, \u escapes, number spellings and unknown fields
 * stay as sent, and the text still parses to the event the validator accepted.
 */
for (const engine of ENGINES) {
  describe.skipIf(engine.skip !== null)(`stored event text, ${engine.name}${engine.skip ? ` (skipped: ${engine.skip})` : ""}`, () => {
    let live: EngineServer;
    let instance: CreatedInstance;
    beforeAll(async () => {
      live = await startOn(engine.name);
      instance = await createInstance(live.server.url, "stored-text");
    });
    afterAll(async () => live?.close());

    /** An event of the instance written by hand: odd spacing, an escaped model name, 1.0e3 for 1000, an extra field. */
    function handWritten(): { text: string; event: Record<string, unknown> } {
      const event = makeEvent(instance.instanceId) as unknown as Record<string, unknown>;
      const { model: _model, estimated_input_tokens: _tokens, ...rest } = event;
      const text = `{ "model" : "cl\\u0061ude-\\"quoted\\"" ,\n\t"estimated_input_tokens": 1.0e3, "x_extra": [ 1, {"k": null} ], ${JSON.stringify(rest).slice(1, -1)} }`;
      return { text, event: JSON.parse(text) as Record<string, unknown> };
    }

    async function post(body: string | Uint8Array, headers: Record<string, string> = {}): Promise<Response> {
      return fetch(`${live.server.url}/v1/events/batch`, {
        method: "POST",
        headers: { authorization: `Bearer ${instance.apiKey}`, "content-type": "application/json", ...headers },
        body,
      });
    }

    it("stores each event's text exactly as sent, between a rejected and an accepted neighbour", async () => {
      const first = handWritten();
      const second = handWritten();
      const rejected = JSON.stringify(makeEvent(instance.instanceId, { actual_input_tokens: -1 }));
      const answer = await post(`\n{"events" :[ ${first.text} ,${rejected},\n${second.text}\n] }`);
      expect(answer.status).toBe(200);
      expect(((await answer.json()) as { accepted: number }).accepted).toBe(2);
      for (const { text, event } of [first, second]) {
        const stored = await live.storedText(instance.instanceId, event["event_id"] as string);
        if (engine.name === "sqlite") expect(stored).toBe(text);
        // PostgreSQL's json type keeps the text too; only its outer whitespace is not promised.
        else expect(stored?.trim()).toBe(text.trim());
        expect(JSON.parse(stored as string)).toEqual(event);
        expect(event["model"]).toBe('claude-"quoted"');
      }
    });

    it("stores the decompressed text of a gzip body", async () => {
      const { text, event } = handWritten();
      const answer = await post(gzipSync(`{"events":[${text}]}`), { "content-encoding": "gzip" });
      expect(answer.status).toBe(200);
      expect(JSON.parse((await live.storedText(instance.instanceId, event["event_id"] as string)) as string)).toEqual(event);
    });
  });
}
