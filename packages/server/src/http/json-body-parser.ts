import type { FastifyInstance } from "fastify";
import { HttpError } from "./http-error.js";
import { MAX_JSON_DEPTH, nestsDeeperThan } from "./json-depth.js";

/**
 * Replaces the app's `application/json` parser with Fastify's own (same byte limit, same errors,
 * prototype poisoning refused) behind a nesting bound: a body nested deeper than MAX_JSON_DEPTH
 * is a 400 before JSON.parse builds it (json-depth.ts says why). The events route has a parser of
 * its own that checks the same bound in the scan it makes anyway (events-json-parser.ts).
 */
export function installJsonBodyParser(app: FastifyInstance, maxDepth = MAX_JSON_DEPTH): void {
  const parseJson = app.getDefaultJsonParser("error", "error");
  app.removeContentTypeParser("application/json");
  app.addContentTypeParser("application/json", { parseAs: "string" }, (request, text, done) => {
    if (nestsDeeperThan(text as string, maxDepth)) {
      done(tooDeep(maxDepth), undefined);
      return;
    }
    // Called with a callback, the default parser answers through it (its type also allows a promise).
    void parseJson(request, text as string, done);
  });
}

/** The 400 of a body nested deeper than `maxDepth`. */
export function tooDeep(maxDepth: number): HttpError {
  return new HttpError("invalid_request", `request body nests arrays and objects deeper than ${maxDepth} levels`);
}
