import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { eventTexts } from "../../src/http/event-texts.js";

/**
 * eventTexts must cut a body JSON.parse accepted into exactly the texts of its "events" elements:
 * each text parses to the element JSON.parse saw, whatever the whitespace, escapes, nesting or
 * key order. Bodies are rendered here with random whitespace and random \u escapes, so the
 * texts are not what JSON.stringify would write.
 */

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

const element = fc.jsonValue({ maxDepth: 4 });

describe("eventTexts: each event's text as sent", () => {
  it("cuts any body into texts that parse to the elements JSON.parse sees", () => {
    fc.assert(
      fc.property(
        fc.array(element, { maxLength: 12 }),
        fc.dictionary(fc.string({ maxLength: 8 }).filter((key) => key !== "events" && key !== "__proto__"), element, { maxKeys: 3 }),
        fc.boolean(),
        fc.integer(),
        (events, others, eventsFirst, seed) => {
          const body = eventsFirst ? { events, ...others } : { ...others, events };
          const text = `${render(body, chooser(seed))}  `;
          const texts = eventTexts(text);
          expect(texts?.map((item) => JSON.parse(item))).toEqual((JSON.parse(text) as { events: unknown[] }).events);
        },
      ),
      { numRuns: 500 },
    );
  });

  it("keeps strings with escaped quotes and backslashes whole", () => {
    const text = String.raw`{"events":[{"a":"x\"y\\","b":["\\\"]"]},"]\"}",{"c":"\\"}]}`;
    expect(eventTexts(text)).toEqual([String.raw`{"a":"x\"y\\","b":["\\\"]"]}`, String.raw`"]\"}"`, String.raw`{"c":"\\"}`]);
  });

  it("takes the last events key, as JSON.parse does, and reads escaped keys", () => {
    expect(eventTexts('{"events":[1],"events":[2, 3]}')).toEqual(["2", "3"]);
    expect(eventTexts('{"ev\\u0065nts":[{"x":1}]}')).toEqual(['{"x":1}']);
    expect(eventTexts('{"events":[1],"events":{}}')).toBeNull();
  });

  it("skips a byte order mark and surrounding whitespace", () => {
    expect(eventTexts('\uFEFF \n{ "events" : [ {"a":1} , true ] }\n')).toEqual(['{"a":1}', "true"]);
  });

  it("answers null where there is no events array at the top level", () => {
    expect(eventTexts("[]")).toBeNull();
    expect(eventTexts('{"other":{"events":[1]}}')).toBeNull();
    expect(eventTexts('{"events":"[1]"}')).toBeNull();
    expect(eventTexts("{}")).toBeNull();
    expect(eventTexts('{"events":[]}')).toEqual([]);
  });
});
