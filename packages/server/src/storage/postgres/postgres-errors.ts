import { StorageUnavailableError } from "../storage.js";

/** Socket errors: the server is down, unreachable or went away. */
const NETWORK_CODES = new Set([
  "ECONNREFUSED",
  "ECONNRESET",
  "ETIMEDOUT",
  "EPIPE",
  "ENOTFOUND",
  "EAI_AGAIN",
  "EHOSTUNREACH",
  "ENETUNREACH",
]);

/**
 * SQLSTATE classes and codes that mean "try again later", not "your request is wrong":
 * 08 connection exception, 53 insufficient resources (too many connections, disk full),
 * 57P01-57P03 admin/crash shutdown and cannot-connect-now, 57014 statement timeout,
 * 58 system error, 40001/40P01 serialization failure and deadlock (retrying succeeds),
 * 28 invalid authorization and 3D000 unknown database (the deployment, not the request, is wrong).
 * https://www.postgresql.org/docs/current/errcodes-appendix.html
 */
function isUnavailableSqlState(code: string): boolean {
  return (
    code.startsWith("08") ||
    code.startsWith("53") ||
    code.startsWith("58") ||
    code.startsWith("57P") ||
    code.startsWith("28") ||
    code === "3D000" ||
    code === "57014" ||
    code === "40001" ||
    code === "40P01"
  );
}

/** Errors node-postgres raises itself, without a code. */
const DRIVER_MESSAGES = [
  /timeout exceeded when trying to connect/i,
  /connection terminated/i,
  /not queryable/i,
  /cannot use a pool after calling end/i,
  /client was closed/i,
  /connection timeout/i,
  // query_timeout: no answer in time, e.g. a stalled network or server (open-storage.ts).
  /query read timeout/i,
];

/** Turns a driver error into StorageUnavailableError when storage, not the call, is at fault. */
export function mapPgError(error: unknown): unknown {
  if (error instanceof StorageUnavailableError) return error;
  const code = (error as { code?: unknown } | null)?.code;
  const message = error instanceof Error ? error.message : "";
  // AggregateError (a host with several addresses, all refused) carries no code of its own.
  const inner = error instanceof AggregateError ? (error.errors[0] as { code?: unknown } | undefined)?.code : undefined;
  const anyCode = typeof code === "string" ? code : typeof inner === "string" ? inner : undefined;
  if (anyCode !== undefined && (NETWORK_CODES.has(anyCode) || isUnavailableSqlState(anyCode))) {
    // The message names only the code: driver messages can include the host and user.
    return new StorageUnavailableError(`PostgreSQL storage unavailable (${anyCode})`, { cause: error });
  }
  if (DRIVER_MESSAGES.some((pattern) => pattern.test(message))) {
    return new StorageUnavailableError("PostgreSQL storage unavailable (connection)", { cause: error });
  }
  return error;
}
