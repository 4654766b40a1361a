/**
 * A connection URL fit for a log line: the password (and a user's token-like name) replaced by
 * `***`, query parameters dropped (they may carry credentials too).
 *
 * @example
 * redactedUrl("redis://:s3cret@cache:6379/0") // "redis://:***@cache:6379/0"
 */
export function redactedUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password !== "") parsed.password = "***";
    parsed.search = "";
    return parsed.toString();
  } catch {
    return "(unparsable URL)";
  }
}
