import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createPredictor } from "../../src/predictions/predictor.js";
import { validEvent } from "../fuzz/bad-bodies.js";
import { ENGINES, engineTitle, freshDatabase, type EngineDatabase } from "../helpers/engines.js";
import { eventOfRow, readStoredRow } from "../helpers/stored-event.js";
import { ADMIN_TOKEN, injectJson, injectRequest, startTestServer, type Json, type TestServer } from "../http/test-server.js";
import { seededSnapshotNoise } from "../helpers/seeded-noise.js";

/** Strings that would break a query built by concatenation, or a careless encoder. */
const NASTY = [
  "O'Brien",
  "it''s",
  'say "hi"',
  "a; DROP TABLE events; --",
  "-- comment",
  "/* block */",
  "back\\slash\\",
  "100% _match_",
  "$1 $2 $$ $tag$",
  "?, ?",
  ":name @p1",
  "' OR '1'='1",
  "\"); DELETE FROM api_keys; --",
  "ünïcödé ☃ 𝕏 日本語 עברית",
  "emoji 👩‍💻🚀",
  "\u202eright-to-left override",
  "zero\u200bwidth",
  "[\"json\",\"array\"]",
  "{\"a\":1}",
  "\\u0000 as text",
];

for (const engine of ENGINES) {
  describe.skipIf(engine.skip !== null)(engineTitle(engine, `SQL metacharacters are stored verbatim on ${engine.name}`), () => {
    let database: EngineDatabase;
    let server: TestServer;
    let instance: { instanceId: string; apiKey: string };
    beforeAll(async () => {
      database = await freshDatabase(engine.name, "metacharacters");
      const storage = await database.open();
      // The real predictor (its queries carry the nasty model strings), seeded and at a fixed time as a live server's.
      const predictor = createPredictor(storage, undefined, { noise: seededSnapshotNoise("metacharacters"), now: () => new Date("2026-12-01T10:00:00.000Z") });
      server = await startTestServer({
        storage,
        predictor,
        config: { rateLimits: { eventsPerMinute: 1_000_000, predictionsPerMinute: 1_000_000 } },
        inProcess: true,
      });
      // The server's seeded instance.
      instance = server;
    });
    afterAll(async () => {
      await server?.close();
      await database?.drop();
    });

    const post = (path: string, token: string, body: unknown) => injectJson(server.app, path, token, body);
    const listInstances = async (): Promise<Json> => (await injectRequest(server.app, "GET", "/v1/admin/instances", ADMIN_TOKEN)).body;
    /** The stored event read with plain SQL, as its engine reads it; undefined when it is not stored. */
    const storedEvent = async (instanceId: string, eventId: string): Promise<Record<string, unknown> | undefined> => {
      const row = await readStoredRow(database, engine.name, instanceId, eventId);
      return row === undefined ? undefined : eventOfRow(engine.name, row);
    };

    it("in instance names: created, listed and read back exactly", async () => {
      const created: Record<string, string> = {};
      for (const name of NASTY) {
        const answer = await post("/v1/admin/instances", ADMIN_TOKEN, { name });
        const body = answer.body;
        expect(answer.status, name).toBe(201);
        expect(body.instance.name, name).toBe(name);
        created[body.instance.id] = name;
      }
      const listed = await listInstances();
      const byId = new Map<string, string>(listed.instances.map((entry: { id: string; name: string }) => [entry.id, entry.name]));
      for (const [id, name] of Object.entries(created)) expect(byId.get(id), name).toBe(name);
    });

    it("in every free string field of an event (model, language, an extra field): stored and read back exactly", async () => {
      // A model may not hold bidirectional controls (the validator refuses them): those stay in language and note.
      const events = NASTY.map((text) =>
        validEvent(instance.instanceId, { model: text.replace(/\p{Bidi_Control}/gu, "").slice(0, 100), language: text.slice(0, 30), note: text }),
      );
      const answer = await post("/v1/events/batch", instance.apiKey, { events });
      const body = answer.body;
      expect(answer.status).toBe(200);
      expect(body).toMatchObject({ accepted: NASTY.length, rejected: 0 });
      for (const event of events) {
        // The unknown field is not stored (only the validated event's known fields are).
        const { note: _note, ...known } = event;
        expect(await storedEvent(instance.instanceId, event["event_id"] as string), String(event["model"])).toEqual(known);
      }
      // Sent again: every one is a duplicate, so the dedup lookup matched them verbatim too.
      const again = (await post("/v1/events/batch", instance.apiKey, { events })).body;
      expect(again).toMatchObject({ accepted: 0, duplicates: NASTY.length });
    });

    it("in prediction queries: each model is its own group, found again by the same string", async () => {
      const queries = NASTY.map((text) => ({ task_type: "implementation", model: text.slice(0, 100), provider: "anthropic", complexity: "medium" }));
      const answer = await post("/v1/predictions/batch", instance.apiKey, { queries });
      const body = answer.body;
      expect(answer.status).toBe(200);
      expect(body.results.map((result: { query: { model: string } }) => result.query.model)).toEqual(queries.map((query) => query.model));
    });

    it("an instance name with a control character (NUL, ESC, DEL, C1) is a 400 with code and message, and nothing is created", async () => {
      const before = (await listInstances()).instances.length;
      for (const name of ["nul\u0000byte", "\u0000", "esc\u001b[31m", "new\nline", "tab\tname", "del\u007f", "c1\u0085"]) {
        const answer = await post("/v1/admin/instances", ADMIN_TOKEN, { name });
        const body = answer.body;
        expect(answer.status, JSON.stringify(name)).toBe(400);
        expect(body.error.code).toBe("invalid_request");
        expect(body.error.message).toMatch(/control character/);
      }
      const after = (await listInstances()).instances.length;
      expect(after).toBe(before);
    });

    it("an instance name with a lone surrogate (not storable as UTF-8) is a 400, not a silently changed name", async () => {
      const answer = await post("/v1/admin/instances", ADMIN_TOKEN, { name: "half \ud800 pair" });
      expect(answer.status).toBe(400);
      expect(answer.body.error.code).toBe("invalid_request");
    });

    it("NUL and other control characters in event strings never give a 5xx: stored verbatim or rejected per event", async () => {
      const texts = ["nul\u0000byte", "\u0000", "esc\u001b", "bell\u0007", "del\u007f", "c1\u0085", "lone \ud800 half"];
      const events = texts.map((text) => validEvent(instance.instanceId, { event_id: randomUUID(), model: text, language: text.slice(0, 30) }));
      const answer = await post("/v1/events/batch", instance.apiKey, { events });
      const body = answer.body;
      expect(answer.status, JSON.stringify(body)).toBe(200);
      for (const [index, event] of events.entries()) {
        const result = body.results[index];
        const stored = await storedEvent(instance.instanceId, event["event_id"] as string);
        if (result.status === "accepted") expect(stored, JSON.stringify(event["model"])).toEqual(event);
        else {
          expect(result.status).toBe("rejected");
          expect(result.message.length).toBeGreaterThan(0);
          expect(stored).toBeUndefined();
        }
      }
    });
  });
}
