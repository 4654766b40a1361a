import type { FastifyInstance } from "fastify";
import { EVENT_BATCH_REQUEST_SCHEMA, type EventBatchResponse } from "@mosaicstack/telemetry-protocol";
import { installEventsJsonParser } from "../http/events-json-parser.js";
import { HttpError } from "../http/http-error.js";
import { describeRequestLine } from "../http/request-log.js";
import { ingestBatch, type IngestCounts } from "../ingest/ingest-batch.js";
import { foreignEventIndex } from "../ingest/validate-batch.js";
import type { Storage } from "../storage/storage.js";
import { API_KEY_SECURITY, RATE_LIMIT_HEADERS, errorResponses, response } from "../http/openapi-schemas.js";

export interface EventsRouteOptions {
  storage: Pick<Storage, "ingestEvents">;
  now: () => Date;
  /** @fastify/rate-limit route config, or false for none. */
  rateLimit: Record<string, unknown> | false;
  /** Told each answered batch's counts (the metrics). @default none */
  onOutcome?: (counts: IngestCounts) => void;
}

const RESULT_SCHEMA = {
  type: "object",
  properties: {
    index: { type: "integer" },
    event_id: { type: ["string", "null"] },
    status: { type: "string", enum: ["accepted", "duplicate", "rejected"] },
    code: { type: "string", enum: ["invalid_event", "unsupported_schema_version"] },
    message: { type: "string" },
  },
  required: ["index", "event_id", "status"],
};

/** The 200 answer's schema (also the bench's parse-only route's, so both serialise alike). */
export const BATCH_RESPONSE_SCHEMA = {
  type: "object",
  properties: {
    accepted: { type: "integer" },
    duplicates: { type: "integer" },
    rejected: { type: "integer" },
    results: { type: "array", items: RESULT_SCHEMA },
  },
  required: ["accepted", "duplicates", "rejected", "results"],
};

/** POST /v1/events/batch: 1 to 100 events, validated one by one, the valid ones stored at once. */
export async function eventsRoutes(app: FastifyInstance, options: EventsRouteOptions): Promise<void> {
  installEventsJsonParser(app);
  app.post(
    "/events/batch",
    {
      config: options.rateLimit === false ? {} : { rateLimit: options.rateLimit },
      schema: {
        tags: ["events"],
        summary: "Report finished tasks",
        description:
          "Each event is validated on its own: a bad event is `rejected` in its result, the others are stored " +
          "atomically. `results[i]` answers `events[i]`. A 200 is never retried as a whole. Bodies may be gzip-encoded; " +
          "the byte limit applies after decompression. Events of another instance than the key's: 403 instance_mismatch.",
        security: API_KEY_SECURITY,
        body: EVENT_BATCH_REQUEST_SCHEMA,
        response: {
          200: response("Per-event outcomes.", BATCH_RESPONSE_SCHEMA, RATE_LIMIT_HEADERS),
          ...errorResponses([400, 401, 403, 413, 415, 429, 500, 503], RATE_LIMIT_HEADERS),
        },
      },
    },
    async (request): Promise<EventBatchResponse> => {
      const key = request.apiKey;
      if (key === null) throw new HttpError("unauthorized", "missing API key");
      const { events } = request.body as { events: unknown[] };
      // Each event's text as sent and its key count, from the parser's scan (null if another parser ran).
      const sent = request.eventTexts !== null && request.eventTexts.texts.length === events.length ? request.eventTexts : null;
      // A batch naming another instance is refused whole, before anything is stored.
      const foreign = foreignEventIndex(events, key.instanceId);
      if (foreign >= 0) throw new HttpError("instance_mismatch", `events[${foreign}].instance_id is not the API key's instance`, { index: foreign });
      const answer = await ingestBatch(options.storage, key.instanceId, events, sent, options.now());
      const counts = { accepted: answer.accepted, duplicates: answer.duplicates, rejected: answer.rejected };
      options.onOutcome?.(counts);
      // The request's log line carries the counts: what an operator looks for when a team says "my events are missing".
      describeRequestLine(request, "ingest", { instanceId: key.instanceId, ...counts });
      return answer;
    },
  );
}
