import { randomBytes } from "node:crypto";
import { chmodSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { ConfigError } from "./config-error.js";
import { adminTokenProblem, type ServerConfig } from "./config.js";

/** Where the admin token lives when TELEMETRY_ADMIN_TOKEN is unset. */
export function adminTokenPath(dataDir: string): string {
  return join(dataDir, "admin-token");
}

export interface ResolvedAdminToken {
  token: string;
  /** "env" when configured, else the file it came from (safe to log; the token is not). */
  source: "env" | { file: string; created: boolean };
}

/**
 * The admin token: TELEMETRY_ADMIN_TOKEN, else <dataDir>/admin-token, created at first start
 * with 32 random bytes (base64url: 43 characters of b64token, so it passes adminTokenProblem)
 * and mode 0600 so only the server's user can read it.
 */
export function resolveAdminToken(config: Pick<ServerConfig, "adminToken" | "dataDir">): ResolvedAdminToken {
  if (config.adminToken !== null) return { token: config.adminToken, source: "env" };
  const file = adminTokenPath(config.dataDir);
  const existing = readTokenFile(file);
  if (existing !== null) return { token: existing, source: { file, created: false } };
  mkdirSync(config.dataDir, { recursive: true, mode: 0o700 });
  const token = randomBytes(32).toString("base64url");
  try {
    // "wx": never overwrite a token another process wrote a moment ago.
    writeFileSync(file, `${token}\n`, { mode: 0o600, flag: "wx" });
    chmodSync(file, 0o600);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "EEXIST") {
      const raced = readTokenFile(file);
      if (raced !== null) return { token: raced, source: { file, created: false } };
    }
    throw new ConfigError("TELEMETRY_ADMIN_TOKEN", `unset, and the token file ${file} could not be written`);
  }
  return { token, source: { file, created: true } };
}

/** Reads a token file; null when it does not exist. */
export function readTokenFile(file: string): string | null {
  let content: string;
  try {
    content = readFileSync(file, "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return null;
    throw new ConfigError("TELEMETRY_ADMIN_TOKEN", `unset, and the token file ${file} could not be read`);
  }
  const token = content.trim();
  const problem = adminTokenProblem(token);
  if (problem !== null) throw new ConfigError("TELEMETRY_ADMIN_TOKEN", `unset, and the token in ${file} ${problem}`);
  return token;
}
