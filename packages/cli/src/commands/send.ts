import { readFileSync } from "node:fs";
import { EventBuilder, TelemetryEventError } from "@mosaicstack/telemetry-client";
import { SCHEMA_VERSION, validateEvent, type TaskCompletionEvent, type TaskCompletionFields } from "@mosaicstack/telemetry-protocol";
import type { Command } from "../command.js";
import { resolveConfig } from "../config/user-config.js";
import { progressBar } from "../progress.js";
import { deliver } from "../telemetry/deliver.js";
import { ErrorLog } from "../telemetry/error-log.js";
import { bulkLimits, openClient, requireSettings } from "../telemetry/open-client.js";

/** The instance id a dry run builds with when none is configured: the events go nowhere. */
const DRY_RUN_INSTANCE = "00000000-0000-4000-8000-000000000000";

type LineResult = { ok: true; event: TaskCompletionEvent } | { ok: false; reason: string };

/**
 * One line as an event. A line may be a whole event or only the task's fields: `event_id`,
 * `timestamp`, `instance_id` and `schema_version` are filled in when absent (a script need not
 * make UUIDs), and kept when present.
 */
function lineEvent(raw: string, builder: EventBuilder, instanceId: string, now: number): LineResult {
  let value: unknown;
  try {
    value = JSON.parse(raw);
  } catch {
    return { ok: false, reason: "not JSON" };
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) return { ok: false, reason: "not a JSON object" };
  const given = value as Record<string, unknown>;
  if (given["instance_id"] !== undefined && String(given["instance_id"]).toLowerCase() !== instanceId.toLowerCase()) {
    return { ok: false, reason: "instance_id: is not the configured instance (leave it out to use it)" };
  }
  if (given["schema_version"] !== undefined && given["schema_version"] !== SCHEMA_VERSION) return { ok: false, reason: `schema_version: must be "${SCHEMA_VERSION}"` };
  const event = {
    ...builder.build(given as unknown as TaskCompletionFields),
    ...(given["event_id"] !== undefined ? { event_id: given["event_id"] } : {}),
    ...(given["timestamp"] !== undefined ? { timestamp: given["timestamp"] } : {}),
  };
  const check = validateEvent(event, { now });
  return check.ok ? { ok: true, event: check.event } : { ok: false, reason: check.message };
}

export const send: Command = {
  path: "send",
  args: "[FILE|-] [--dry-run]",
  summary: "Send JSON lines of events from any harness (stdin when no FILE)",
  details:
    "One event per line: the 26 fields of schema 1.0, or only the task's fields (event_id, timestamp,\n" +
    "instance_id and schema_version are filled in). Each line is checked by the protocol's validator;\n" +
    "a bad line is reported with its number and reason. Exit code 1 when any line was refused.",
  options: [{ name: "dry-run", type: "boolean", description: "check every line, send nothing" }],
  maxPositionals: 1,
  async run(args, { io, paths }) {
    const source = args.positionals[0] ?? "-";
    const dryRun = args.options["dry-run"] === true;
    const settings = requireSettings(resolveConfig(paths.configDir, io.env));
    if ("missing" in settings && !dryRun) {
      io.stderr(`mosaic: ${settings.missing}\n`);
      return 1;
    }
    let text: string;
    try {
      text = source === "-" ? await io.readStdin() : readFileSync(source, "utf8");
    } catch (error) {
      io.stderr(`mosaic: cannot read ${source}: ${(error as Error).message}\n`);
      return 1;
    }
    const instanceId = "missing" in settings ? DRY_RUN_INSTANCE : settings.instance;
    const builder = new EventBuilder(instanceId, io.now);
    const lines = text.split("\n");
    const events: TaskCompletionEvent[] = [];
    const lineOf = new Map<string, number>();
    let refused = 0;
    const bar = progressBar(io, "checking lines", lines.length);
    lines.forEach((raw, index) => {
      bar.tick(index);
      if (raw.trim() === "") return;
      const result = lineEvent(raw, builder, instanceId, io.now());
      if (!result.ok) {
        refused++;
        io.stderr(`line ${index + 1}: ${result.reason}\n`);
        return;
      }
      lineOf.set(result.event.event_id.toLowerCase(), index + 1);
      events.push(result.event);
    });
    bar.end();
    if (dryRun || "missing" in settings) {
      io.stdout(`${events.length} good lines, ${refused} refused (dry run: nothing sent)\n`);
      return refused > 0 ? 1 : 0;
    }
    const log = new ErrorLog();
    const client = openClient(settings, paths, bulkLimits(io.env), log.onError);
    const result = await deliver(client, events, io, log, "events");
    for (const error of log.errors) {
      if (error instanceof TelemetryEventError && error.code === "event_rejected" && error.eventId !== null) {
        io.stderr(`line ${lineOf.get(error.eventId.toLowerCase()) ?? "?"}: refused by the server: ${error.message}\n`);
      }
    }
    return refused > 0 || result.rejected > 0 ? 1 : 0;
  },
};
