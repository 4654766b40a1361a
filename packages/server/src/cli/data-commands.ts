import { resolve } from "node:path";
import { loadConfig } from "../config/config.js";
import { backupDatabase, instanceEvents } from "../storage/open-storage.js";
import { UsageError, type ParsedArgs } from "./cli-args.js";
import type { CliIo } from "./cli.js";

/** Lines are handed to the output in chunks of about this many characters. */
const CHUNK_CHARS = 64 * 1024;

/** `mosaic-telemetry backup <file>`: the configured SQLite database, copied while servers run. */
export async function runBackup(io: CliIo, file: string): Promise<number> {
  const config = loadConfig(io.env, { cwd: io.cwd });
  const destination = resolve(io.cwd, file);
  await backupDatabase(config.storage, destination);
  io.stderr(`backed up ${config.storage.engine === "sqlite" ? config.storage.path : "storage"} to ${destination}\n`);
  return 0;
}

/** `mosaic-telemetry export <instance-id> [--since <date>]`: that instance's events, one JSON text a line. */
export async function runExport(args: ParsedArgs, io: CliIo, instanceId: string): Promise<number> {
  const since = sinceFlag(args.flags.get("since"));
  const config = loadConfig(io.env, { cwd: io.cwd });
  const write = io.write ?? (async (text: string) => io.stdout(text));
  let chunk = "";
  let count = 0;
  for await (const event of instanceEvents(config.storage, instanceId, since)) {
    chunk += `${event}\n`;
    count++;
    if (chunk.length >= CHUNK_CHARS) {
      await write(chunk);
      chunk = "";
    }
  }
  if (chunk !== "") await write(chunk);
  // The count on stderr, so stdout stays pure JSON lines.
  io.stderr(`exported ${count} event${count === 1 ? "" : "s"} of ${instanceId}\n`);
  return 0;
}

function sinceFlag(value: string | true | undefined): Date {
  if (value === undefined) return new Date(0);
  const date = typeof value === "string" && /^\d{4}-\d{2}-\d{2}/.test(value) ? new Date(value) : new Date(Number.NaN);
  if (Number.isNaN(date.getTime())) throw new UsageError(`--since must be an ISO 8601 date, e.g. 2026-11-01, got "${String(value)}"`);
  return date;
}
