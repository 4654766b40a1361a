import { randomUUID } from "node:crypto";
import { gzipSync } from "node:zlib";
import fc from "fast-check";
import { EVENT_FIELDS } from "@mosaicstack/telemetry-protocol";
import { makeEvent } from "../http/test-server.js";

/** One request to fire at a route: what fast-check generates and shrinks. */
export interface BadRequest {
  /** What the case is, for the failure message. */
  kind: string;
  headers: Record<string, string>;
  body: Buffer;
}

const json = (kind: string, value: unknown, headers: Record<string, string> = {}): BadRequest => ({
  kind,
  headers: { "content-type": "application/json", ...headers },
  body: Buffer.from(typeof value === "string" ? value : JSON.stringify(value), "utf8"),
});

/** Values of every JSON type and then some (NaN, -0, huge numbers become null or numbers in JSON). */
const anyValue = fc.oneof(
  fc.jsonValue({ maxDepth: 3 }),
  fc.constantFrom(null, true, false, 0, -1, 1e308, -1e308, 2 ** 53 + 1, 0.5, "", " ", "null", "true", "[]", "{}"),
  fc.string({ unit: "binary", maxLength: 50 }),
  fc.array(fc.anything({ maxDepth: 2 }), { maxLength: 4 }),
);

/** Strings that break naive code: lone surrogates, NUL and control characters, SQL and JSON metacharacters. */
const nastyString = fc.oneof(
  fc.constantFrom("\ud800", "\udfff", "a\ud800b", "\u0000", "a\u0000b", "\u001b[31m", "'; DROP TABLE events; --", '"}', "\\", "%_", "$1", "\u202e", "\ufeff"),
  fc.string({ unit: "binary", maxLength: 40 }),
);

const FIELD_NAMES = EVENT_FIELDS.map((field) => field.name);

/** A valid event of `instanceId` as the SDK would send it; overrides may break it on purpose. */
export function validEvent(instanceId: string, overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return makeEvent(instanceId, overrides);
}

/** JSON text nested `depth` levels deep, as arrays or objects. */
export function deeplyNested(depth: number, asObject: boolean): string {
  return asObject ? '{"a":'.repeat(depth) + "1" + "}".repeat(depth) : "[".repeat(depth) + "]".repeat(depth);
}

/**
 * Malformed bodies for POST /v1/events/batch. `existing` are events already stored: some cases
 * resend them with a field broken, under the same event_id, to prove nothing overwrites them.
 */
export function badEventBodies(instanceId: string, existing: readonly Record<string, unknown>[]): fc.Arbitrary<BadRequest> {
  const base = existing.length > 0 ? fc.constantFrom(...existing) : fc.constant(validEvent(instanceId));
  const brokenField = fc
    .record({ event: base, field: fc.constantFrom(...FIELD_NAMES, "__extra__"), value: fc.oneof(anyValue, nastyString), fresh: fc.boolean() })
    .map(({ event, field, value, fresh }) => {
      const broken = { ...event, [field]: value };
      if (fresh && field !== "event_id") broken["event_id"] = randomUUID();
      return broken;
    });
  const deleteField = fc
    .record({ event: base, field: fc.constantFrom(...FIELD_NAMES) })
    .map(({ event, field }) => {
      const copy: Record<string, unknown> = { ...event };
      delete copy[field];
      return copy;
    });
  const eventLike = fc.oneof(brokenField, deleteField, anyValue);
  return fc.oneof(
    // Wrong types for every field, a few events per batch.
    fc.array(eventLike, { minLength: 1, maxLength: 5 }).map((events) => json("broken fields", { events })),
    // The envelope itself wrong.
    anyValue.map((events) => json("envelope: events of any type", { events })),
    fc.jsonValue({ maxDepth: 3 }).map((value) => json("any JSON", value)),
    fc.constantFrom("", " ", "{", "}", "[", '{"events":', '{"events":[}', "nul", "\u0000", '{"events":[]}', '{"__proto__":{"x":1},"events":[]}', '{"events":[{"constructor":{"prototype":{"x":1}}}]}').map((text) => json("broken JSON", text)),
    // Huge strings, inside and over the body limit.
    fc.integer({ min: 10_000, max: 200_000 }).chain((size) =>
      fc.record({ base, field: fc.constantFrom("model", "language", "event_id", "timestamp", "task_type") }).map(({ base: event, field }) =>
        json(`huge ${field} (${size})`, { events: [{ ...event, event_id: randomUUID(), [field]: "x".repeat(size) }] }),
      ),
    ),
    // Deep nesting, as the whole body and inside an event.
    fc.record({ depth: fc.integer({ min: 100, max: 20_000 }), asObject: fc.boolean(), inside: fc.boolean() }).map(({ depth, asObject, inside }) =>
      json(`nesting ${depth}`, inside ? `{"events":[{"model":${deeplyNested(depth, asObject)}}]}` : deeplyNested(depth, asObject)),
    ),
    // Invalid UTF-8 bytes spliced into an otherwise valid body.
    fc.record({ bytes: fc.uint8Array({ minLength: 1, maxLength: 8 }).map((bytes) => Buffer.from(bytes.map((b) => b | 0x80))), base }).map(({ bytes, base: event }) => {
      const text = JSON.stringify({ events: [{ ...event, event_id: randomUUID(), model: "MARK" }] });
      const [before, after] = text.split("MARK") as [string, string];
      return { kind: "invalid UTF-8 in a string", headers: { "content-type": "application/json" }, body: Buffer.concat([Buffer.from(before), bytes, Buffer.from(after)]) };
    }),
    fc.uint8Array({ minLength: 0, maxLength: 300 }).map((bytes) => ({ kind: "random bytes", headers: { "content-type": "application/json" }, body: Buffer.from(bytes) })),
    ...transportCases(() => ({ events: [validEvent(instanceId)] })),
  );
}

/** Malformed bodies for POST /v1/predictions/batch. */
export function badPredictionBodies(): fc.Arbitrary<BadRequest> {
  const goodQuery = { task_type: "implementation", model: "claude-sonnet-4-5", provider: "anthropic", complexity: "medium" };
  const brokenQuery = fc
    .record({ field: fc.constantFrom("task_type", "model", "provider", "complexity", "__extra__"), value: fc.oneof(anyValue, nastyString), drop: fc.boolean() })
    .map(({ field, value, drop }) => {
      const query: Record<string, unknown> = { ...goodQuery, [field]: value };
      if (drop) delete query[field];
      return query;
    });
  return fc.oneof(
    fc.array(fc.oneof(brokenQuery, anyValue), { minLength: 0, maxLength: 60 }).map((queries) => json("broken queries", { queries })),
    anyValue.map((queries) => json("envelope: queries of any type", { queries })),
    fc.jsonValue({ maxDepth: 3 }).map((value) => json("any JSON", value)),
    fc.integer({ min: 101, max: 200_000 }).map((size) => json(`huge model (${size})`, { queries: [{ ...goodQuery, model: "m".repeat(size) }] })),
    fc.record({ depth: fc.integer({ min: 100, max: 20_000 }), asObject: fc.boolean() }).map(({ depth, asObject }) =>
      json(`nesting ${depth}`, `{"queries":[{"model":${deeplyNested(depth, asObject)}}]}`),
    ),
    fc.uint8Array({ minLength: 0, maxLength: 300 }).map((bytes) => ({ kind: "random bytes", headers: { "content-type": "application/json" }, body: Buffer.from(bytes) })),
    ...transportCases(() => ({ queries: [goodQuery] })),
  );
}

/** Media type and encoding cases that do not depend on the route. */
function transportCases(valid: () => unknown): fc.Arbitrary<BadRequest>[] {
  const body = () => Buffer.from(JSON.stringify(valid()));
  return [
    fc
      .constantFrom("text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x", "application/xml", "application/jsonx", "json", "*/*", "application/json; charset=latin1", "", "application/json, text/plain", "\u0000")
      .map((type): BadRequest => ({ kind: `content-type ${JSON.stringify(type)}`, headers: type === "" ? {} : { "content-type": type }, body: body() })),
    fc.constantFrom("br", "deflate", "compress", "gzip, gzip", "identity, gzip", "zstd", "x").map((encoding) => ({
      kind: `content-encoding ${encoding}`,
      headers: { "content-type": "application/json", "content-encoding": encoding },
      body: gzipSync(body()),
    })),
    fc.integer({ min: 1, max: 200 }).map((cut) => {
      const zipped = gzipSync(body());
      return { kind: "truncated gzip", headers: { "content-type": "application/json", "content-encoding": "gzip" }, body: zipped.subarray(0, Math.max(1, zipped.length - cut)) };
    }),
    fc.uint8Array({ minLength: 0, maxLength: 200 }).map((bytes) => ({
      kind: "not gzip at all",
      headers: { "content-type": "application/json", "content-encoding": "gzip" },
      body: Buffer.from(bytes),
    })),
    fc.constantFrom(...gzipBombs()).map((bomb) => ({ kind: `gzip bomb (${bomb.length} bytes)`, headers: { "content-type": "application/json", "content-encoding": "gzip" }, body: bomb })),
    fc.integer({ min: 1, max: 4 }).map((times) => ({
      kind: "oversized body",
      headers: { "content-type": "application/json" },
      body: Buffer.from(JSON.stringify({ padding: "p".repeat(OVERSIZED_BYTES * times), ...(valid() as object) })),
    })),
  ];
}

/** Body limit the fuzzed server runs with: small, so oversized cases stay cheap. */
export const FUZZ_BODY_LIMIT = 64 * 1024;
const OVERSIZED_BYTES = FUZZ_BODY_LIMIT + 1;

let bombs: Buffer[] | undefined;
/** 20 MB of zeros and ~11 MB of valid-looking JSON, each gzipped below the body limit. */
function gzipBombs(): Buffer[] {
  bombs ??= [
    gzipSync(Buffer.alloc(20 * 1024 * 1024), { level: 9 }),
    gzipSync(Buffer.from('{"events":[' + '{"model":"x"},'.repeat(800_000) + "]}"), { level: 9 }),
  ];
  return bombs;
}
