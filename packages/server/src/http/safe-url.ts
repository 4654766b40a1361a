/** What stands in for a credential-looking part of a URL. */
const REDACTED = "[redacted]";

// An API key anywhere in the path (a client that put it there by mistake).
const API_KEY_IN_PATH = /msk_[A-Za-z0-9_-]*/g;

/**
 * A request URL fit for logs and error messages: the query string dropped (a client may put a
 * key or token there, `?api_key=msk_...`) and anything shaped like an API key in the path masked.
 * Credentials belong in the Authorization header only, which the logger redacts.
 *
 * @example
 * safeUrl("/v1/events/batch?api_key=msk_abc") // "/v1/events/batch?[redacted]"
 */
export function safeUrl(url: string): string {
  const query = url.indexOf("?");
  const path = (query < 0 ? url : url.slice(0, query)).replace(API_KEY_IN_PATH, `msk_${REDACTED}`);
  return query < 0 ? path : `${path}?${REDACTED}`;
}
