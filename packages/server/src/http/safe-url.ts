/** What stands in for a credential-looking part of a URL. */
const REDACTED = "[redacted]";

// An API key anywhere in the path (a client that put it there by mistake), each character as
// itself or percent-encoded (`%6Dsk_…`, `msk%5F…`): the 404 message echoes the path as sent.
const API_KEY_IN_PATH = /(?:m|%6[dD])(?:s|%73)(?:k|%6[bB])(?:_|%5[fF])(?:[A-Za-z0-9_-]|%[0-9A-Fa-f]{2})*/g;

/** A function that makes a request URL fit for logs and error messages. */
export type UrlMasker = (url: string) => string;

/**
 * A URL masker: the query string dropped (a client may put a key or token there,
 * `?api_key=msk_...`), anything shaped like an API key in the path masked, and each of `secrets`
 * (the admin token) masked wherever it appears in the path, as sent or percent-encoded.
 * Credentials belong in the Authorization header only, which the logger redacts.
 *
 * @example
 * const safeUrl = urlMasker([adminToken]);
 * safeUrl("/v1/events/batch?api_key=msk_abc") // "/v1/events/batch?[redacted]"
 * safeUrl(`/v1/admin/${adminToken}`)          // "/v1/admin/[redacted]"
 */
export function urlMasker(secrets: readonly string[] = []): UrlMasker {
  const secretPatterns = secrets.filter((secret) => secret.length > 0).map(anySpelling);
  const secretsInPath = secretPatterns.length === 0 ? null : new RegExp(secretPatterns.join("|"), "g");
  return (url) => {
    const query = url.indexOf("?");
    let path = (query < 0 ? url : url.slice(0, query)).replace(API_KEY_IN_PATH, `msk_${REDACTED}`);
    if (secretsInPath !== null) path = path.replace(secretsInPath, REDACTED);
    return query < 0 ? path : `${path}?${REDACTED}`;
  };
}

/** The URL masker without secrets of its own: query strings and API keys. */
export const safeUrl: UrlMasker = urlMasker();

/**
 * A pattern matching `secret` however a client wrote it into a path: each character as itself or
 * percent-encoded with either case of hex digits (`+` as `%2B` or `%2b`, even `A` as `%41`).
 */
function anySpelling(secret: string): string {
  let pattern = "";
  for (const char of secret) {
    const bytes = Buffer.from(char, "utf8");
    const encoded = [...bytes].map((byte) => `%${hexEitherCase(byte)}`).join("");
    pattern += `(?:${char.replace(/[.*+?^${}()|[\]\\/-]/g, "\\$&")}|${encoded})`;
  }
  return pattern;
}

function hexEitherCase(byte: number): string {
  return [...byte.toString(16).padStart(2, "0")].map((digit) => (/[a-f]/.test(digit) ? `[${digit}${digit.toUpperCase()}]` : digit)).join("");
}
