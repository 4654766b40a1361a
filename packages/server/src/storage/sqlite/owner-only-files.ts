import { chmodSync, closeSync, openSync } from "node:fs";
import { StorageUnavailableError } from "../storage.js";

/** Mode of the database file and its companions: every instance's events and key hashes. */
export const OWNER_ONLY_FILE = 0o600;

/**
 * Makes a SQLite database file and the companions SQLite keeps beside it (-wal, -shm, -journal)
 * readable and writable by their owner only, also when they already exist with the umask's 0644
 * from an earlier start. An absent database file is created empty with 0600 first: SQLite gives
 * the -wal and -shm files it creates later the mode of the database file.
 *
 * Throws StorageUnavailableError when a file cannot be created or changed (a folder in its place,
 * another user's file): opening storage then fails with that reason.
 */
export function makeDatabaseFilesOwnerOnly(path: string): void {
  try {
    closeSync(openSync(path, "a", OWNER_ONLY_FILE));
  } catch (error) {
    throw unusable(path, error);
  }
  for (const file of [path, `${path}-wal`, `${path}-shm`, `${path}-journal`]) {
    try {
      chmodSync(file, OWNER_ONLY_FILE);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw unusable(file, error);
    }
  }
}

function unusable(file: string, error: unknown): StorageUnavailableError {
  const code = (error as NodeJS.ErrnoException).code ?? (error as Error).message;
  return new StorageUnavailableError(`SQLite file ${file} cannot be made owner-only (0600): ${code}`, { cause: error });
}
