/**
 * The text of each element of a batch body's "events" array, as it arrived, so storage keeps
 * each event as sent instead of serialising the parsed object again (JSON.stringify of a
 * 26-field event was the largest cost of an ingest after parsing: docs/benchmarks-server.md).
 *
 * Written by hand: no JSON library on npm reports where each value of a document begins and ends
 * (JSON.parse's source-text access comes with V8 11.4, after Node 20's). It is a scanner, not a
 * parser: it runs only on a text JSON.parse has already accepted, so it need not judge validity,
 * only follow strings and nesting. Like JSON.parse, the last "events" key of the top-level object
 * wins, and a key written with escapes ("ev\u0065nts") is the same key.
 *
 * @returns one string per element, or null when the top level holds no "events" array.
 */
export function eventTexts(text: string): string[] | null {
  const scanner = new Scanner(text);
  scanner.skipBom();
  scanner.skipSpace();
  if (text.charCodeAt(scanner.at) !== OPEN_BRACE) return null;
  scanner.at++;
  let found: string[] | null = null;
  for (;;) {
    scanner.skipSpace();
    if (text.charCodeAt(scanner.at) !== QUOTE) return found; // "}" closes the object
    const key = scanner.readKey();
    scanner.skipSpace();
    scanner.at++; // ":"
    scanner.skipSpace();
    if (key === "events") found = text.charCodeAt(scanner.at) === OPEN_BRACKET ? scanner.readElements() : null;
    else scanner.skipValue();
    scanner.skipSpace();
    if (text.charCodeAt(scanner.at) !== COMMA) return found;
    scanner.at++;
  }
}

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COMMA = 0x2c;
const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACKET = 0x5d;
const BOM = 0xfeff;

class Scanner {
  at = 0;
  constructor(readonly text: string) {}

  /** Fastify's JSON parser (secure-json-parse) drops a leading byte order mark too. */
  skipBom(): void {
    if (this.text.charCodeAt(0) === BOM) this.at = 1;
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
    return raw.includes("\\") ? (JSON.parse(this.text.slice(start, this.at)) as string) : raw;
  }

  /** The elements of the array at `at` (on its "["), each as its own text; `at` ends past "]". */
  readElements(): string[] {
    const { text } = this;
    const elements: string[] = [];
    this.at++;
    this.skipSpace();
    if (text.charCodeAt(this.at) === CLOSE_BRACKET) {
      this.at++;
      return elements;
    }
    for (;;) {
      const start = this.at;
      this.skipValue();
      elements.push(text.slice(start, this.at));
      this.skipSpace();
      const separator = text.charCodeAt(this.at++);
      if (separator !== COMMA) return elements; // "]"
      this.skipSpace();
    }
  }

  /** Moves `at` past the value that starts there. */
  skipValue(): void {
    const code = this.text.charCodeAt(this.at);
    if (code === QUOTE) this.skipString();
    else if (code === OPEN_BRACE || code === OPEN_BRACKET) this.skipNested();
    else this.skipLiteral();
  }

  /** From an opening quote to past its closing one; an escaped quote has an odd run of backslashes before it. */
  skipString(): void {
    const { text } = this;
    let from = this.at + 1;
    for (;;) {
      const quote = text.indexOf('"', from);
      if (quote === -1) {
        this.at = text.length; // only in a text JSON.parse refused: end rather than loop
        return;
      }
      let backslashes = 0;
      while (text.charCodeAt(quote - 1 - backslashes) === BACKSLASH) backslashes++;
      if (backslashes % 2 === 0) {
        this.at = quote + 1;
        return;
      }
      from = quote + 1;
    }
  }

  /** An object or array: counts brackets of either kind, jumping over strings. */
  skipNested(): void {
    const { text } = this;
    let depth = 0;
    for (;;) {
      const code = text.charCodeAt(this.at);
      if (Number.isNaN(code)) return;
      if (code === QUOTE) {
        this.skipString();
        continue;
      }
      this.at++;
      if (code === OPEN_BRACE || code === OPEN_BRACKET) depth++;
      else if ((code === CLOSE_BRACE || code === CLOSE_BRACKET) && --depth === 0) return;
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
