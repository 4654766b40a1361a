import type { FastifyInstance } from "fastify";
import { HttpError } from "./http-error.js";

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
 * mounted beside another (a /v2 scope) carries its own.
 *
 * @example
 * await app.register(async (v1) => { applyApiVersionLifecycle(v1, "v1", config.apiV1, now); ... }, { prefix: "/v1" });
 */
export function applyApiVersionLifecycle(scope: FastifyInstance, version: string, lifecycle: ApiVersionLifecycle, now: () => Date): void {
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
