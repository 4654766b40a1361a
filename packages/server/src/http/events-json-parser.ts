import type { FastifyInstance } from "fastify";
import { scanEventsBody, type EventsBodyScan } from "./events-body-scan.js";
import { MAX_JSON_DEPTH } from "./json-depth.js";
import { tooDeep } from "./json-body-parser.js";

declare module "fastify" {
  interface FastifyRequest {
    /**
     * Each element of the body's "events" array as sent, with its count of top-level keys (set by
     * the events route's JSON parser), or null where that parser did not run or found no such array.
     */
    eventTexts: EventsBodyScan["events"];
  }
}

/**
 * Gives `scope` a JSON parser that is Fastify's own (same limits, same errors, prototype poisoning
 * refused) behind one scan of the text (events-body-scan.ts) that refuses nesting deeper than
 * MAX_JSON_DEPTH before JSON.parse runs and keeps, on `request.eventTexts`, each event's text as
 * sent and its key count. Call it inside the events route's encapsulated plugin: other routes keep
 * the app's parser (json-body-parser.ts), which bounds the depth alone.
 */
export function installEventsJsonParser(scope: FastifyInstance): void {
  const parseJson = scope.getDefaultJsonParser("error", "error");
  if (!scope.hasRequestDecorator("eventTexts")) scope.decorateRequest("eventTexts", null);
  scope.removeContentTypeParser("application/json");
  scope.addContentTypeParser("application/json", { parseAs: "string" }, (request, text, done) => {
    const scan = scanEventsBody(text as string, MAX_JSON_DEPTH);
    if (scan.tooDeep) {
      done(tooDeep(MAX_JSON_DEPTH), undefined);
      return;
    }
    // Called with a callback, the default parser answers through it; its type only allows the
    // promise of its async form, which this call never gets.
    void parseJson(request, text as string, (error, body) => {
      // Spans of a text JSON.parse refused are never used.
      if (!error) request.eventTexts = scan.events;
      done(error, body);
    });
  });
}

