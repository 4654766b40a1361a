import { ConfigError } from "./config-error.js";

/** The environment a configuration is read from (process.env, or a test's object). */
export type Env = Readonly<Record<string, string | undefined>>;

/*
 * Readers of one environment variable each: the value, the fallback when unset or blank, or a
 * ConfigError naming the variable and what it must be.
 */

/** A variable's value, trimmed; undefined when unset or blank (blank counts as unset). */
export function text(env: Env, name: string): string | undefined {
  const value = env[name]?.trim();
  return value === undefined || value === "" ? undefined : value;
}

export function integer(env: Env, name: string, fallback: number, min: number, max: number): number {
  const value = text(env, name);
  if (value === undefined) return fallback;
  if (!/^\d+$/.test(value)) throw new ConfigError(name, `must be a whole number from ${min} to ${max}, got "${value}"`);
  const parsed = Number(value);
  if (parsed < min || parsed > max) throw new ConfigError(name, `must be from ${min} to ${max}, got ${value}`);
  return parsed;
}

export function flag(env: Env, name: string, fallback: boolean): boolean {
  const value = text(env, name)?.toLowerCase();
  if (value === undefined) return fallback;
  if (value === "true") return true;
  if (value === "false") return false;
  throw new ConfigError(name, `must be true or false, got "${value}"`);
}

/** An ISO 8601 date or date-time (2027-06-30, 2027-06-30T00:00:00Z), or null when unset. */
export function date(env: Env, name: string): Date | null {
  const value = text(env, name);
  if (value === undefined) return null;
  const parsed = /^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})?)?$/.test(value) ? new Date(value) : null;
  // Date would roll 2027-02-30 over to March 2: the calendar day must exist as written.
  const [year, month, day] = value.slice(0, 10).split("-").map(Number) as [number, number, number];
  const dayExists = new Date(Date.UTC(year, month - 1, day)).getUTCDate() === day && month >= 1 && month <= 12;
  if (parsed === null || Number.isNaN(parsed.getTime()) || !dayExists) {
    throw new ConfigError(name, `must be an ISO 8601 date, e.g. 2027-06-30 or 2027-06-30T00:00:00Z, got "${value}"`);
  }
  return parsed;
}

export function url(env: Env, name: string): string | null {
  const value = text(env, name);
  if (value === undefined) return null;
  try {
    const parsed = new URL(value);
    if (parsed.protocol !== "http:" && parsed.protocol !== "https:") throw new Error("not http");
  } catch {
    throw new ConfigError(name, `must be an http:// or https:// URL, got "${value}"`);
  }
  // Within <…> in a Link header: these would end or break it.
  if (/[<>\s"]/.test(value)) throw new ConfigError(name, "must not hold spaces, quotes or angle brackets");
  return value;
}
