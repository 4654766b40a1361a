import type { TaskCompletionEvent } from "./event.js";

/** The most events one `POST /v1/events/batch` may carry. */
export const MAX_EVENTS_PER_BATCH = 100;

/** Body of `POST /v1/events/batch`. */
export interface EventBatchRequest {
  events: TaskCompletionEvent[];
}

/** What happened to one event of a batch. */
export type EventStatus = "accepted" | "duplicate" | "rejected";

/** `results[i]` answers `events[i]`. */
export interface EventResult {
  index: number;
  /** The event's id, or null when the event had no readable `event_id`. */
  event_id: string | null;
  status: EventStatus;
  /** For `rejected` only. */
  code?: string;
  /** For `rejected` only: which field broke which rule. */
  message?: string;
}

/** Body of the `200` answer to `POST /v1/events/batch`, whatever the mix of outcomes. */
export interface EventBatchResponse {
  accepted: number;
  duplicates: number;
  rejected: number;
  results: EventResult[];
}
