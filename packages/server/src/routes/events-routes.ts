import type { FastifyInstance } from "fastify";
import {
  EVENT_BATCH_REQUEST_SCHEMA,
  SCHEMA_VERSION,
  validateEvent,
  type EventBatchResponse,
  type EventResult,
  type TaskCompletionEvent,
} from "@mosaicstack/telemetry-protocol";
import { installEventsJsonParser } from "../http/events-json-parser.js";
import { HttpError } from "../http/http-error.js";
import { canonicalizeEvent } from "../ingest/canonical-event.js";
import { storedPayload } from "../ingest/stored-payload.js";
import type { Storage } from "../storage/storage.js";
import { API_KEY_SECURITY, RATE_LIMIT_HEADERS, errorResponses, response } from "./openapi-schemas.js";

export interface EventsRouteOptions {
  storage: Pick<Storage, "ingestEvents">;
  now: () => Date;
  /** @fastify/rate-limit route config, or false for none. */
  rateLimit: Record<string, unknown> | false;
  /** Told each answered batch's counts (the metrics). @default none */
  onOutcome?: (counts: IngestCounts) => void;
}

/** What became of one batch's events. */
export interface IngestCounts {
  accepted: number;
  duplicates: number;
  rejected: number;
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
      const instanceId = key.instanceId.toLowerCase();

      // A batch naming another instance is refused whole, before anything is stored.
      for (let index = 0; index < events.length; index++) {
        const claimed = (events[index] as Record<string, unknown>)["instance_id"];
        if (typeof claimed === "string" && claimed.toLowerCase() !== instanceId) {
          throw new HttpError("instance_mismatch", `events[${index}].instance_id is not the API key's instance`, { index });
        }
      }

      const now = options.now();
      const results: EventResult[] = new Array(events.length);
      const valid: TaskCompletionEvent[] = [];
      const payloads: string[] = [];
      const validIndexes: number[] = [];
      // Results echo each event_id as sent; storage gets it in lower case (canonicalizeEvent).
      const sentIds: string[] = [];
      for (let index = 0; index < events.length; index++) {
        const event = events[index] as Record<string, unknown>;
        const eventId = typeof event["event_id"] === "string" ? event["event_id"] : null;
        const checked = validateEvent(event, { now: now.getTime() });
        if (checked.ok) {
          const validated = checked.event;
          sentIds.push(validated.event_id);
          const asSent = canonicalizeEvent(validated, instanceId);
          // What is stored is the validated event's known fields (ingest/stored-payload.ts).
          payloads.push(
            storedPayload(validated, asSent && sent !== null ? { text: sent.texts[index] as string, keyCount: sent.keyCounts[index] as number } : null),
          );
          valid.push(validated);
          validIndexes.push(index);
          continue;
        }
        const version = event["schema_version"];
        const unsupported = typeof version === "string" && version !== SCHEMA_VERSION;
        results[index] = {
          index,
          event_id: eventId,
          status: "rejected",
          code: unsupported ? "unsupported_schema_version" : "invalid_event",
          message: unsupported ? `schema_version: "${version.slice(0, 20)}" is not supported, send "${SCHEMA_VERSION}"` : checked.message,
        };
      }

      const statuses = valid.length === 0 ? [] : await options.storage.ingestEvents(key.instanceId, valid, now, payloads);
      if (statuses.length !== valid.length) throw new Error("storage answered a different number of statuses than events");
      let accepted = 0;
      let duplicates = 0;
      validIndexes.forEach((index, position) => {
        const status = statuses[position] as "accepted" | "duplicate";
        if (status === "accepted") accepted++;
        else duplicates++;
        results[index] = { index, event_id: sentIds[position] as string, status };
      });
      const counts = { accepted, duplicates, rejected: events.length - valid.length };
      options.onOutcome?.(counts);
      // One line per batch with its counts: what an operator looks for when a team says "my events are missing".
      request.log.info({ instanceId: key.instanceId, ...counts }, "ingest");
      return { ...counts, results };
    },
  );
}
