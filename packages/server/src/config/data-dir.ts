import { chmodSync } from "node:fs";
import { ConfigError } from "./config-error.js";

/** Mode of DATA_DIR: nobody but the server's user needs to list or enter it. */
export const OWNER_ONLY_DIR = 0o700;

/**
 * Makes an existing data folder owner-only (0700), also one an earlier version or an operator
 * created with 0755: it holds the SQLite file and the admin token file. An absent folder is left
 * to whoever needs it (the token file, SQLite), which creates it with 0700.
 *
 * Throws ConfigError when the folder exists but its mode cannot be changed (another user's folder).
 */
export function makeDataDirOwnerOnly(dataDir: string): void {
  try {
    chmodSync(dataDir, OWNER_ONLY_DIR);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === "ENOENT") return;
    throw new ConfigError("DATA_DIR", `${dataDir} cannot be made owner-only (chmod 700): ${code ?? (error as Error).message}`);
  }
}
