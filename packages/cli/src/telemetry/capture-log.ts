import { appendFileSync, mkdirSync, renameSync, statSync } from "node:fs";
import { join } from "node:path";
import type { SessionEvent } from "../capture/session-event.js";
import { PRICE_TABLE_VERSION } from "../pricing/price-table.js";

/** Past this size the log is renamed to `captured.jsonl.1` (the one before is dropped) and restarted. */
const MAX_BYTES = 4 * 1024 * 1024;

/**
 * Appends one line per captured event to `$XDG_STATE_HOME/mosaic-telemetry/captured.jsonl`:
 * its id, the session it came from, its cost and the price table that priced it. The SDK's spool
 * keeps the schema's fields only (and the server stores only those), so this is where an event's
 * price table is written down. A failure here never stops the event from being sent.
 */
export function logCaptured(stateDir: string, events: readonly SessionEvent[], source: string, nowMs: number): void {
  if (events.length === 0) return;
  try {
    mkdirSync(stateDir, { recursive: true, mode: 0o700 });
    const file = join(stateDir, "captured.jsonl");
    try {
      if (statSync(file).size > MAX_BYTES) renameSync(file, `${file}.1`);
    } catch {
      // no log yet
    }
    const at = new Date(nowMs).toISOString();
    const lines = events.map((e) =>
      JSON.stringify({ event_id: e.eventId, source, session: e.sessionId, model: e.fields.model, cost_usd_micros: e.fields.actual_cost_usd_micros, price_table: PRICE_TABLE_VERSION, captured_at: at }),
    );
    appendFileSync(file, lines.join("\n") + "\n", { mode: 0o600 });
  } catch {
    // the log is a record for people, not part of delivery
  }
}
