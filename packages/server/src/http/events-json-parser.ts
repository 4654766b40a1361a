import type { FastifyInstance } from "fastify";
import { eventTexts } from "./event-texts.js";

declare module "fastify" {
  interface FastifyRequest {
    /**
     * The text of each element of the body's "events" array as it arrived (set by the JSON parser
     * of the events route), or null where that parser did not run.
     */
    eventTexts: string[] | null;
  }
}

/**
 * Gives `scope` a JSON parser that is Fastify's own (same limits, same errors, prototype
 * poisoning refused) and also keeps, on `request.eventTexts`, each event's text as sent, so
 * storage need not serialise the parsed events again. Call it inside the events route's
 * encapsulated plugin: other routes keep the plain parser.
 */
export function installEventsJsonParser(scope: FastifyInstance): void {
  const parseJson = scope.getDefaultJsonParser("error", "error");
  if (!scope.hasRequestDecorator("eventTexts")) scope.decorateRequest("eventTexts", null);
  scope.removeContentTypeParser("application/json");
  scope.addContentTypeParser("application/json", { parseAs: "string" }, (request, text, done) => {
    parseJson(request, text as string, (error, body) => {
      // Only a text JSON.parse accepted is scanned (event-texts.ts relies on it).
      if (!error) request.eventTexts = eventTexts(text as string);
      done(error, body);
    });
  });
}
