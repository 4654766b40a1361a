// \p{Cc}: C0 controls (NUL to U+001F), DEL and the C1 controls. PostgreSQL cannot store NUL in
// text at all (a 500 before this check), and the others only make names unreadable in lists and logs.
const CONTROL_CHARACTER = /\p{Cc}/u;
// A UTF-16 half without its partner cannot be written as UTF-8: both engines would store U+FFFD
// instead, so the name read back would differ from the name sent.
const LONE_SURROGATE = /\p{Cs}/u;

/**
 * Why an instance name cannot be stored as sent, or null when it can. Length is the schema's.
 *
 * @example
 * instanceNameProblem("ci\u0000runner") // "name: must not contain control characters (U+0000 to U+001F, U+007F to U+009F)"
 */
export function instanceNameProblem(name: string): string | null {
  if (CONTROL_CHARACTER.test(name)) return "name: must not contain control characters (U+0000 to U+001F, U+007F to U+009F)";
  if (LONE_SURROGATE.test(name)) return "name: must be well-formed Unicode (a lone UTF-16 surrogate cannot be stored)";
  return null;
}
