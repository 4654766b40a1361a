/**
 * The deepest nesting of arrays and objects a request body may have. An event is 4 levels deep
 * in its batch (body, events, event, gate list); unknown fields may add some. A 1 MiB body could
 * otherwise nest half a million levels, which JSON.parse builds into as many objects (about
 * 30 times the memory of a flat body of the same size) before anything can look at it.
 */
export const MAX_JSON_DEPTH = 32;

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACKET = 0x5d;

/**
 * True when `text` opens more than `maxDepth` arrays or objects inside one another, counting
 * brackets outside strings only. Runs before JSON.parse, so it judges nothing else: on a text that
 * is not JSON its answer is merely some answer, and JSON.parse then refuses the text.
 *
 * A scan, not a parse: strings are skipped with indexOf (native, fast) from quote to quote, so the
 * cost is about one branch per character outside strings.
 */
export function nestsDeeperThan(text: string, maxDepth: number): boolean {
  let depth = 0;
  const length = text.length;
  for (let at = 0; at < length; at++) {
    const code = text.charCodeAt(at);
    if (code === QUOTE) {
      at = closingQuote(text, at);
      if (at < 0) return false;
    } else if (code === OPEN_BRACE || code === OPEN_BRACKET) {
      if (++depth > maxDepth) return true;
    } else if (code === CLOSE_BRACE || code === CLOSE_BRACKET) {
      depth--;
    }
  }
  return false;
}

/** The index of the quote that closes the string opening at `open`, or -1 when none does. */
export function closingQuote(text: string, open: number): number {
  let at = open;
  for (;;) {
    at = text.indexOf('"', at + 1);
    if (at < 0) return -1;
    // Escaped when preceded by an odd number of backslashes.
    let backslashes = 0;
    while (text.charCodeAt(at - 1 - backslashes) === BACKSLASH) backslashes++;
    if (backslashes % 2 === 0) return at;
  }
}
