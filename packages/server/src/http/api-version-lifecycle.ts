import type { FastifyInstance } from "fastify";
import { errorResponses, withResponses } from "./openapi-schemas.js";
import { HttpError } from "./http-error.js";

/** The 410 every route of a version may answer after its sunset, with the headers it carries. */
const SUNSET_RESPONSES = errorResponses([410], {
  Sunset: { type: "string", description: "When the version was retired (RFC 8594, an HTTP date)." },
  Deprecation: { type: "string", description: 'When the version was deprecated (RFC 9745, "@" and seconds since the epoch).' },
  Link: { type: "string", description: 'The successor version, rel="successor-version" (RFC 5829), when one is set.' },
});

/** Where an API version stands: current (all null), deprecated, or retired after its sunset. */
export interface ApiVersionLifecycle {
  /** From then on, answers carry `Deprecation` (RFC 9745). @default null */
  readonly deprecatedAt: Date | null;
  /** Announced in `Sunset` (RFC 8594); from then on every route of the version answers 410. @default null */
  readonly sunsetAt: Date | null;
  /** The version that replaces it, linked with rel="successor-version" (RFC 5829). @default null */
  readonly successorUrl: string | null;
}

/**
 * Installs a version's lifecycle on the scope its routes are registered in, so each version
 * mounted beside another (a /v2 scope) carries its own. Call it before the scope's routes are
 * registered: it documents their 410 as they are added.
 *
 * @example
 * await app.register(async (v1) => { applyApiVersionLifecycle(v1, "v1", config.apiV1, now); ... }, { prefix: "/v1" });
 */
export function applyApiVersionLifecycle(scope: FastifyInstance, version: string, lifecycle: ApiVersionLifecycle, now: () => Date): void {
  // Documented whether or not a sunset is set today: a client of the version must be ready for
  // it, and the document should not change when an operator sets the date.
  scope.addHook("onRoute", (route) => {
    route.schema = withResponses(route.schema, SUNSET_RESPONSES);
  });
  const { deprecatedAt, sunsetAt, successorUrl } = lifecycle;
  if (deprecatedAt === null && sunsetAt === null && successorUrl === null) return;
  const headers: Record<string, string> = {};
  // A sunset implies deprecation: a client told of the end is told it is deprecated from now on.
  const deprecation = deprecatedAt ?? sunsetAt;
  if (sunsetAt !== null) headers["sunset"] = sunsetAt.toUTCString();
  if (successorUrl !== null) headers["link"] = `<${successorUrl}>; rel="successor-version"`;

  scope.addHook("onRequest", async () => {
    if (sunsetAt === null || now() < sunsetAt) return;
    const successor = successorUrl === null ? "" : `; use its successor ${successorUrl}`;
    throw new HttpError("api_version_sunset", `API ${version} was retired on ${sunsetAt.toISOString()}${successor}`, undefined, headers);
  });
  scope.addHook("onSend", async (_request, reply, payload) => {
    // RFC 9745: a Structured Field Date, seconds since the epoch after "@"; announced ahead of
    // the date too, as the RFC allows, since a date in the future tells clients when.
    if (deprecation !== null) void reply.header("deprecation", `@${Math.floor(deprecation.getTime() / 1000)}`);
    for (const [name, value] of Object.entries(headers)) void reply.header(name, value);
    return payload;
  });
}
