import type { EventBuilder } from "@mosaicstack/telemetry-client";
import type { TaskCompletionEvent } from "@mosaicstack/telemetry-protocol";
import type { SessionEvent } from "../capture/session-event.js";
import { PRICE_TABLE_VERSION } from "../pricing/price-table.js";

/**
 * The event of a captured session: the SDK's builder completes the fields; the id and the
 * finish time are the session's. `price_table` names the prices that made its cost: a key
 * beyond the schema, so the SDK's spool keeps it in the event's entry (as a generic record)
 * and the server, which stores the schema's fields, ignores it.
 */
export function capturedEvent(builder: EventBuilder, captured: SessionEvent): TaskCompletionEvent {
  return { ...builder.build(captured.fields), event_id: captured.eventId, timestamp: captured.timestamp, price_table: PRICE_TABLE_VERSION } as TaskCompletionEvent;
}
