import { closingQuote } from "./json-depth.js";

/**
 * One pass over the text of a `POST /v1/events/batch` body, before JSON.parse, that finds:
 * - whether arrays and objects nest deeper than a bound (json-depth.ts says why that must be
 *   known before parsing), and
 * - where each element of the top-level "events" array begins and ends, and how many keys its
 *   top level holds (a key sent twice counts twice).
 *
 * With those, an engine that stores events as JSON objects (PostgreSQL) can store an event's own
 * text when that text holds exactly the known fields, once each (ingest/reusable-sent-text.ts),
 * instead of serialising the event again, which costs more than the whole scan
 * (docs/decisions/0003-written-by-hand.md). Written by hand: no JSON library on npm
 * reports where values begin and end (JSON.parse's source-text access comes with V8 11.4, after
 * Node 20's), and one pass does both jobs for the price of one.
 *
 * A scanner, not a parser: it follows strings and brackets and judges nothing. On a text that
 * is not JSON it stops or ends somewhere, always terminating; JSON.parse then refuses the text,
 * and its spans are never used. Anything it skips without counting brackets (the inside of a
 * literal) is a syntax error at which JSON.parse stops, so nothing deep is parsed unseen. Like
 * JSON.parse, the last "events" key of the top-level object wins, and a key written with escapes
 * ("ev\u0065nts") is the same key.
 */
export interface EventsBodyScan {
  /** True when some array or object lies more than maxDepth levels deep. */
  tooDeep: boolean;
  /**
   * Each element of the top-level "events" array: its text as sent and its count of top-level
   * keys. Null when there is no such array, or an element is not an object (then the request
   * fails the body schema anyway), or the scan stopped early.
   */
  events: { texts: string[]; keyCounts: number[] } | null;
}

const QUOTE = 0x22;
const COMMA = 0x2c;
const COLON = 0x3a;
const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACKET = 0x5d;
const BOM = 0xfeff;

/** Thrown inside the scan when the depth bound is passed: unwinds at once. */
const TOO_DEEP = Symbol("too deep");

/** Scans a batch body (see the module comment). */
export function scanEventsBody(text: string, maxDepth: number): EventsBodyScan {
  const scanner = new Scanner(text, maxDepth);
  try {
    return { tooDeep: false, events: scanner.topLevel() };
  } catch (error) {
    if (error === TOO_DEEP) return { tooDeep: true, events: null };
    throw error;
  }
}

class Scanner {
  at = 0;
  constructor(
    readonly text: string,
    readonly maxDepth: number,
  ) {}

  topLevel(): EventsBodyScan["events"] {
    const { text } = this;
    // Fastify's JSON parser (secure-json-parse) drops a leading byte order mark too.
    if (text.charCodeAt(0) === BOM) this.at = 1;
    this.skipSpace();
    if (text.charCodeAt(this.at) !== OPEN_BRACE) {
      // Not an object: the body schema refuses it; only the depth matters.
      this.skipValue(0);
      return null;
    }
    if (1 > this.maxDepth) throw TOO_DEEP;
    this.at++;
    let found: EventsBodyScan["events"] = null;
    for (;;) {
      this.skipSpace();
      if (text.charCodeAt(this.at) !== QUOTE) return found; // "}" closes the object
      const key = this.readKey();
      this.skipSpace();
      this.at++; // ":"
      this.skipSpace();
      if (key === "events" && text.charCodeAt(this.at) === OPEN_BRACKET) found = this.readElements();
      else {
        if (key === "events") found = null;
        this.skipValue(1);
      }
      this.skipSpace();
      if (text.charCodeAt(this.at) !== COMMA) return found;
      this.at++;
    }
  }

  /** JSON whitespace: space, tab, line feed, carriage return. */
  skipSpace(): void {
    const { text } = this;
    for (;;) {
      const code = text.charCodeAt(this.at);
      if (code !== 0x20 && code !== 0x0a && code !== 0x0d && code !== 0x09) return;
      this.at++;
    }
  }

  /** A key at `at` (on its opening quote), decoded only when it holds an escape. */
  readKey(): string {
    const start = this.at;
    this.skipString();
    const raw = this.text.slice(start + 1, this.at - 1);
    if (!raw.includes("\\")) return raw;
    try {
      return JSON.parse(this.text.slice(start, this.at)) as string;
    } catch {
      return raw; // a broken escape: JSON.parse refuses the whole text later
    }
  }

  /** The "events" array at `at` (on its "[", at depth 2), each element an object; `at` ends past "]". */
  readElements(): EventsBodyScan["events"] {
    const { text } = this;
    const texts: string[] = [];
    const keyCounts: number[] = [];
    let objects = true;
    if (2 > this.maxDepth) throw TOO_DEEP;
    this.at++;
    this.skipSpace();
    if (text.charCodeAt(this.at) === CLOSE_BRACKET) {
      this.at++;
      return { texts, keyCounts };
    }
    for (;;) {
      const start = this.at;
      if (text.charCodeAt(this.at) === OPEN_BRACE) keyCounts.push(this.skipObjectCountingKeys());
      else {
        objects = false;
        this.skipValue(2);
      }
      texts.push(text.slice(start, this.at));
      this.skipSpace();
      const separator = text.charCodeAt(this.at++);
      if (separator !== COMMA) return objects && separator === CLOSE_BRACKET ? { texts, keyCounts } : null;
      this.skipSpace();
    }
  }

  /** An element object at `at` (on its "{", at depth 3): skipped, its top-level keys counted. */
  skipObjectCountingKeys(): number {
    const { text } = this;
    if (3 > this.maxDepth) throw TOO_DEEP;
    let keys = 0;
    this.at++;
    for (;;) {
      this.skipSpace();
      const code = text.charCodeAt(this.at);
      if (code !== QUOTE) {
        if (code === CLOSE_BRACE) this.at++;
        return keys; // "}" or a syntax error JSON.parse will report
      }
      this.skipString();
      keys++;
      this.skipSpace();
      if (text.charCodeAt(this.at) === COLON) this.at++;
      this.skipSpace();
      this.skipValue(3);
      this.skipSpace();
      const separator = text.charCodeAt(this.at);
      if (separator === COMMA) this.at++;
      else {
        if (separator === CLOSE_BRACE) this.at++;
        return keys;
      }
    }
  }

  /** Moves `at` past the value that starts there, inside a container `depth` levels deep. */
  skipValue(depth: number): void {
    const code = this.text.charCodeAt(this.at);
    if (code === QUOTE) this.skipString();
    else if (code === OPEN_BRACE || code === OPEN_BRACKET) this.skipNested(depth);
    else this.skipLiteral();
  }

  /** From an opening quote to past its closing one (to the end of a text whose string never closes: JSON.parse refuses it). */
  skipString(): void {
    const quote = closingQuote(this.text, this.at);
    this.at = quote === -1 ? this.text.length : quote + 1;
  }

  /** An object or array opening inside a container `outer` levels deep: brackets of either kind counted, strings jumped over. */
  skipNested(outer: number): void {
    const { text } = this;
    const limit = this.maxDepth - outer;
    let depth = 0;
    for (;;) {
      const code = text.charCodeAt(this.at);
      if (Number.isNaN(code)) return;
      if (code === QUOTE) {
        this.skipString();
        continue;
      }
      this.at++;
      if (code === OPEN_BRACE || code === OPEN_BRACKET) {
        if (++depth > limit) throw TOO_DEEP;
      } else if ((code === CLOSE_BRACE || code === CLOSE_BRACKET) && --depth === 0) return;
    }
  }

  /** A number, true, false or null: runs to the next delimiter or whitespace. */
  skipLiteral(): void {
    const { text } = this;
    for (;;) {
      const code = text.charCodeAt(this.at);
      if (Number.isNaN(code) || code === COMMA || code === CLOSE_BRACE || code === CLOSE_BRACKET) return;
      if (code === 0x20 || code === 0x0a || code === 0x0d || code === 0x09) return;
      this.at++;
    }
  }
}
