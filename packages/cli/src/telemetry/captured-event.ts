import type { EventBuilder } from "@mosaicstack/telemetry-client";
import type { TaskCompletionEvent } from "@mosaicstack/telemetry-protocol";
import type { SessionEvent } from "../capture/session-event.js";

/** The event of a captured session: the SDK's builder completes the fields; the id and the finish time are the session's. */
export function capturedEvent(builder: EventBuilder, captured: SessionEvent): TaskCompletionEvent {
  return { ...builder.build(captured.fields), event_id: captured.eventId, timestamp: captured.timestamp };
}
