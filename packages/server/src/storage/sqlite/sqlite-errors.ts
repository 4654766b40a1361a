import { StorageUnavailableError } from "../storage.js";

/**
 * SQLite result codes that say the database cannot serve right now (locked past busy_timeout,
 * disk full or failing, file unreadable), not that the caller asked for something wrong.
 * https://www.sqlite.org/rescode.html
 */
const UNAVAILABLE_CODES = [
  "SQLITE_BUSY",
  "SQLITE_LOCKED",
  "SQLITE_IOERR",
  "SQLITE_FULL",
  "SQLITE_CANTOPEN",
  "SQLITE_READONLY",
  "SQLITE_CORRUPT",
  "SQLITE_NOTADB",
  "SQLITE_PROTOCOL",
  "SQLITE_NOMEM",
];

/** Turns a driver error into StorageUnavailableError when storage, not the call, is at fault. */
export function mapSqliteError(error: unknown): unknown {
  if (error instanceof StorageUnavailableError) return error;
  const code = (error as { code?: unknown } | null)?.code;
  if (typeof code === "string" && UNAVAILABLE_CODES.some((prefix) => code.startsWith(prefix))) {
    return new StorageUnavailableError(`SQLite storage unavailable (${code})`, { cause: error });
  }
  // better-sqlite3 throws a TypeError when the handle was closed underneath us.
  if (error instanceof TypeError && /database connection is not open/i.test(error.message)) {
    return new StorageUnavailableError("SQLite storage is closed", { cause: error });
  }
  return error;
}
