import type { EventBuilder } from "@mosaicstack/telemetry-client";
import type { TaskCompletionEvent } from "@mosaicstack/telemetry-protocol";
import type { SessionEvent } from "../capture/session-event.js";
import { PRICE_TABLE_VERSION } from "../pricing/price-table.js";

/**
 * The event of a captured session: the SDK's builder completes the fields; the id and the finish
 * time are the session's. `price_table` names the table that priced it, so the spool entry says
 * where its cost came from; the server ignores fields outside the schema (api-v1), so it is not stored.
 */
export function capturedEvent(builder: EventBuilder, captured: SessionEvent): TaskCompletionEvent & { price_table: string } {
  return { ...builder.build(captured.fields), event_id: captured.eventId, timestamp: captured.timestamp, price_table: PRICE_TABLE_VERSION };
}
