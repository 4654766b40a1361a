/**
 * The bench's baseline route, POST /bench/parse-only: everything POST /v1/events/batch does except
 * storing. Same Fastify app and hooks, same API-key auth hook, same body schema and JSON parser
 * (the events route's, whose one scan bounds the nesting and keeps each event's text), the same
 * instance check and per-event validateEvent, the valid events' texts gathered as ingest does, and
 * an answer of the same shape through the events route's own response schema. So ingest /
 * parse-only is the price of storing: choosing each event's stored text and the SQLite write.
 * Registered by the bench's server process only.
 */
import { loadProtocol, loadServerInternals } from "./server-dist.mjs";

export async function registerParseOnlyRoute(app, storage) {
  const { EVENT_BATCH_REQUEST_SCHEMA, validateEvent } = await loadProtocol();
  const { apiKeyAuthHook, ApiKeyCache, installEventsJsonParser, BATCH_RESPONSE_SCHEMA } = await loadServerInternals();
  await app.register(async (scope) => {
    installEventsJsonParser(scope);
    scope.addHook("onRequest", apiKeyAuthHook({ storage, cache: new ApiKeyCache(), now: () => new Date() }));
    scope.post("/bench/parse-only", { schema: { body: EVENT_BATCH_REQUEST_SCHEMA, response: { 200: BATCH_RESPONSE_SCHEMA } } }, async (request) => {
      const { events } = request.body;
      const instanceId = request.apiKey.instanceId.toLowerCase();
      for (const event of events) {
        if (typeof event.instance_id === "string" && event.instance_id.toLowerCase() !== instanceId) throw new Error("instance mismatch");
      }
      // Builds before 2026-12-04 kept an array of texts, later ones {texts, keyCounts}.
      const scanned = Array.isArray(request.eventTexts) ? request.eventTexts : (request.eventTexts?.texts ?? null);
      const texts = scanned !== null && scanned.length === events.length ? scanned : null;
      const now = Date.now();
      let accepted = 0;
      const validTexts = [];
      const results = events.map((event, index) => {
        const checked = validateEvent(event, { now });
        if (!checked.ok) return { index, event_id: null, status: "rejected", code: "invalid_event", message: checked.message };
        if (texts !== null) validTexts.push(texts[index]);
        accepted++;
        return { index, event_id: checked.event.event_id, status: "accepted" };
      });
      return { accepted, duplicates: 0, rejected: events.length - accepted, results };
    });
  });
}
