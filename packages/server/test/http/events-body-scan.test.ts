import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { scanEventsBody } from "../../src/http/events-body-scan.js";

/**
 * scanEventsBody must cut a body JSON.parse accepted into exactly the texts of its "events"
 * elements (each text parses to the element JSON.parse saw, whatever the whitespace, escapes,
 * nesting or key order), count each element's top-level keys as written (a repeated key twice),
 * and say whether anything nests deeper than the bound. Bodies are rendered here with random
 * whitespace and random \u escapes, so the texts are not what JSON.stringify would write.
 */

/** The texts of the events, or null: what the old eventTexts answered (elements here are objects or not). */
function eventTexts(text: string): string[] | null {
  return scanEventsBody(text, 64).events?.texts ?? null;
}

function depthOf(value: unknown): number {
  if (Array.isArray(value)) return 1 + Math.max(0, ...value.map(depthOf));
  if (typeof value === "object" && value !== null) return 1 + Math.max(0, ...Object.values(value).map(depthOf));
  return 0;
}

/** Renders `value` as JSON with whitespace and escapes chosen by `pick` (0..1). */
function render(value: unknown, pick: () => number): string {
  const space = (): string => [" ", "\n", "\t", "\r\n  ", ""][Math.floor(pick() * 5)] as string;
  const text = (s: string): string => {
    let out = '"';
    for (const char of s) {
      const code = char.charCodeAt(0);
      if (char === '"' || char === "\\" || code < 0x20 || pick() < 0.1) {
        out += [...char].map((c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`).join("");
      } else out += char;
    }
    return `${out}"`;
  };
  if (typeof value === "string") return text(value);
  if (Array.isArray(value)) return `[${space()}${value.map((item) => render(item, pick)).join(`${space()},${space()}`)}${space()}]`;
  if (value !== null && typeof value === "object") {
    const members = Object.entries(value).map(([key, item]) => `${text(key)}${space()}:${space()}${render(item, pick)}`);
    return `{${space()}${members.join(`${space()},${space()}`)}${space()}}`;
  }
  return JSON.stringify(value);
}

/** A small deterministic source of choices for render(). */
function chooser(seed: number): () => number {
  let state = seed >>> 0 || 1;
  return () => {
    state = (state * 1664525 + 1013904223) >>> 0;
    return state / 2 ** 32;
  };
}

const element = fc.dictionary(fc.string({ maxLength: 8 }).filter((key) => key !== "__proto__"), fc.jsonValue({ maxDepth: 4 }), { maxKeys: 5 });

describe("scanEventsBody: each event's text as sent, its key count, and the depth bound", () => {
  it("cuts any body into texts that parse to the elements JSON.parse sees, with their key counts", () => {
    fc.assert(
      fc.property(
        fc.array(element, { maxLength: 12 }),
        fc.dictionary(fc.string({ maxLength: 8 }).filter((key) => key !== "events" && key !== "__proto__"), element, { maxKeys: 3 }),
        fc.boolean(),
        fc.integer(),
        (events, others, eventsFirst, seed) => {
          const body = eventsFirst ? { events, ...others } : { ...others, events };
          const text = `${render(body, chooser(seed))}  `;
          const scan = scanEventsBody(text, 64);
          const parsed = (JSON.parse(text) as { events: Record<string, unknown>[] }).events;
          expect(scan.tooDeep).toBe(false);
          expect(scan.events?.texts.map((item) => JSON.parse(item))).toEqual(parsed);
          expect(scan.events?.keyCounts).toEqual(parsed.map((event) => Object.keys(event).length));
        },
      ),
      { numRuns: 500 },
    );
  });

  it("keeps strings with escaped quotes and backslashes whole", () => {
    const text = String.raw`{"events":[{"a":"x\"y\\","b":["\\\"]"]},{"]\"}":1},{"c":"\\"}]}`;
    expect(eventTexts(text)).toEqual([String.raw`{"a":"x\"y\\","b":["\\\"]"]}`, String.raw`{"]\"}":1}`, String.raw`{"c":"\\"}`]);
  });

  it("counts a key written twice twice (JSON.parse keeps one)", () => {
    expect(scanEventsBody('{"events":[{"a":1,"b":2,"a":3},{}]}', 32).events?.keyCounts).toEqual([3, 0]);
  });

  it("says when any array or object lies deeper than the bound, wherever it is, and only then", () => {
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 8 }), fc.nat({ max: 8 }), fc.constantFrom("event", "other", "top"), (value, limit, where) => {
        const body = where === "event" ? { events: [{ x: value }] } : where === "other" ? { other: value, events: [] } : value;
        const text = JSON.stringify(body);
        expect(scanEventsBody(text, limit).tooDeep, text).toBe(depthOf(body) > limit);
      }),
      { numRuns: 2_000 },
    );
    expect(scanEventsBody(`{"events":[{"deep":${"[".repeat(500_000)}${"]".repeat(500_000)}}]}`, 32)).toEqual({ tooDeep: true, events: null });
  });

  it("ends on any text, JSON or not", () => {
    fc.assert(
      fc.property(fc.string({ unit: fc.constantFrom("{", "}", "[", "]", '"', "\\", ",", ":", " ", "a", "1", "events"), maxLength: 60 }), (text) => {
        scanEventsBody(text, 4);
      }),
      { numRuns: 5_000 },
    );
  });

  it("takes the last events key, as JSON.parse does, and reads escaped keys", () => {
    expect(eventTexts('{"events":[{}],"events":[{"a":2}, {"b":3}]}')).toEqual(['{"a":2}', '{"b":3}']);
    expect(eventTexts('{"ev\\u0065nts":[{"x":1}]}')).toEqual(['{"x":1}']);
    expect(eventTexts('{"events":[{}],"events":{}}')).toBeNull();
  });

  it("skips a byte order mark and surrounding whitespace", () => {
    expect(eventTexts('\uFEFF \n{ "events" : [ {"a":1} , {} ] }\n')).toEqual(['{"a":1}', "{}"]);
  });

  it("answers null where there is no events array of objects at the top level", () => {
    expect(eventTexts('{"events":[{"a":1}, true]}')).toBeNull();
    expect(eventTexts("[]")).toBeNull();
    expect(eventTexts('{"other":{"events":[1]}}')).toBeNull();
    expect(eventTexts('{"events":"[1]"}')).toBeNull();
    expect(eventTexts("{}")).toBeNull();
    expect(eventTexts('{"events":[]}')).toEqual([]);
  });
});
