import { chmodSync, mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { join } from "node:path";

/** The settings `mosaic config set` writes. */
export const SETTINGS = ["url", "key", "instance"] as const;
export type Setting = (typeof SETTINGS)[number];

/** Each setting's environment variable (the SDK's names, as in packages/client/README.md): it overrides the file. */
export const SETTING_ENV: Record<Setting, string> = {
  url: "TELEMETRY_API_URL",
  key: "TELEMETRY_API_KEY",
  instance: "TELEMETRY_INSTANCE_ID",
};

export type UserConfig = Partial<Record<Setting, string>>;

/** A setting's value and where it came from. */
export interface ResolvedSetting {
  value: string | null;
  source: "env" | "file" | "unset";
}

export type ResolvedConfig = Record<Setting, ResolvedSetting>;

export function configFile(configDir: string): string {
  return join(configDir, "config.json");
}

/** The file's settings; {} when it is absent, unreadable or not a JSON object. */
export function readUserConfig(configDir: string): UserConfig {
  try {
    const parsed = JSON.parse(readFileSync(configFile(configDir), "utf8")) as unknown;
    if (typeof parsed !== "object" || parsed === null) return {};
    const result: UserConfig = {};
    for (const name of SETTINGS) {
      const value = (parsed as Record<string, unknown>)[name];
      if (typeof value === "string") result[name] = value;
    }
    return result;
  } catch {
    return {};
  }
}

/**
 * Writes one setting. The file holds an API key, so it is created 0600 in a 0700 folder, written
 * to a temporary file and renamed (a crash never leaves half a file).
 */
export function writeSetting(configDir: string, name: Setting, value: string): void {
  mkdirSync(configDir, { recursive: true, mode: 0o700 });
  const next = { ...readUserConfig(configDir), [name]: value };
  const target = configFile(configDir);
  const temporary = `${target}.${process.pid}.tmp`;
  writeFileSync(temporary, JSON.stringify(next, null, 2) + "\n", { mode: 0o600 });
  chmodSync(temporary, 0o600);
  renameSync(temporary, target);
}

export function resolveConfig(configDir: string, env: NodeJS.ProcessEnv): ResolvedConfig {
  const file = readUserConfig(configDir);
  const one = (name: Setting): ResolvedSetting => {
    const fromEnv = env[SETTING_ENV[name]];
    if (fromEnv !== undefined && fromEnv !== "") return { value: fromEnv, source: "env" };
    const fromFile = file[name];
    return fromFile !== undefined && fromFile !== "" ? { value: fromFile, source: "file" } : { value: null, source: "unset" };
  };
  return { url: one("url"), key: one("key"), instance: one("instance") };
}

/** A key for display: its first 8 and last 4 characters (`msk_ab12…wxyz`), never more. */
export function maskKey(key: string): string {
  return key.length <= 12 ? "…" : `${key.slice(0, 8)}…${key.slice(-4)}`;
}
