/**
 * A user name that may be a secret: alone in the userinfo (some hosted services put the token
 * there, `redis://<token>@host`), or long enough to be one. ACL user names (`default`,
 * `mosaic-app`) stay readable, which helps when the wrong user is configured.
 */
const SECRET_LIKE_USER = /^.{16,}$/;

/**
 * A connection URL fit for a log line: the password replaced by `***`, the user name too when it
 * may be a secret (see above), query parameters dropped (they may carry credentials too).
 *
 * @example
 * redactedUrl("redis://:s3cret@cache:6379/0") // "redis://:***@cache:6379/0"
 * redactedUrl("rediss://AbCdEf0123456789xyz@cache:6379") // "rediss://***@cache:6379"
 */
export function redactedUrl(url: string): string {
  try {
    const parsed = new URL(url);
    const userMayBeSecret = parsed.username !== "" && (parsed.password === "" || SECRET_LIKE_USER.test(decodeURIComponent(parsed.username)));
    if (userMayBeSecret) parsed.username = "***";
    if (parsed.password !== "") parsed.password = "***";
    parsed.search = "";
    return parsed.toString();
  } catch {
    return "(unparsable URL)";
  }
}
