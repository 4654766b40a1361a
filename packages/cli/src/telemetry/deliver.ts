import type { TelemetryClient } from "@mosaicstack/telemetry-client";
import type { TaskCompletionEvent } from "@mosaicstack/telemetry-protocol";
import type { Io } from "../io.js";
import type { ErrorLog } from "./error-log.js";

export interface Delivery {
  /** Stored by this run. */
  added: number;
  /** The server had them already (a re-import). */
  duplicates: number;
  rejected: number;
  /** Not delivered before the deadline: they stay in the spool for the next run. */
  pending: number;
}

/** Tracks the events, stops the client (sending until its deadline) and prints one line of outcome. */
export async function deliver(client: TelemetryClient, events: readonly TaskCompletionEvent[], io: Io, log: ErrorLog, noun: string): Promise<Delivery> {
  for (const event of events) client.track(event);
  const { pending } = await client.stop();
  const stats = client.getStats();
  const result: Delivery = { added: stats.sent - stats.duplicates, duplicates: stats.duplicates, rejected: stats.rejected, pending };
  // The client also took over what earlier runs left in the spool: those count in the figures.
  const recovered = stats.recovered > 0 ? ` and ${stats.recovered} events earlier runs left in the spool` : "";
  io.stdout(
    `${events.length} ${noun}${recovered}: ${result.added} stored, ${result.duplicates} already stored` +
      (result.rejected > 0 ? `, ${result.rejected} refused by the server` : "") +
      (result.pending > 0 ? `, ${result.pending} left in the spool for the next run` : "") +
      "\n",
  );
  const problem = log.first();
  if (problem !== null && (result.pending > 0 || result.rejected > 0 || result.added + result.duplicates < events.length)) io.stderr(`mosaic: ${problem}\n`);
  return result;
}
