import type { EventBatchResponse } from "@mosaicstack/telemetry-protocol";
import type { Storage } from "../storage/storage.js";
import { validateBatch, type SentTexts } from "./validate-batch.js";

/** What became of one batch's events. */
export interface IngestCounts {
  accepted: number;
  duplicates: number;
  rejected: number;
}

/**
 * One batch of one API key's instance, between the route and storage: the events judged one by
 * one (validate-batch.ts), the valid ones stored at once, and the answer of every event in order.
 * The caller has checked that no event names another instance (foreignEventIndex).
 *
 * @param instanceId the API key's instance
 */
export async function ingestBatch(
  storage: Pick<Storage, "ingestEvents">,
  instanceId: string,
  events: readonly unknown[],
  sent: SentTexts | null,
  now: Date,
): Promise<EventBatchResponse> {
  const batch = validateBatch(events, instanceId.toLowerCase(), sent, now);
  const statuses = batch.toStore.length === 0 ? [] : await storage.ingestEvents(instanceId, batch.toStore, now);
  if (statuses.length !== batch.toStore.length) throw new Error("storage answered a different number of statuses than events");
  let accepted = 0;
  let duplicates = 0;
  batch.indexes.forEach((index, position) => {
    const status = statuses[position] as "accepted" | "duplicate";
    if (status === "accepted") accepted++;
    else duplicates++;
    batch.results[index] = { index, event_id: batch.sentIds[position] as string, status };
  });
  return { accepted, duplicates, rejected: events.length - batch.toStore.length, results: batch.results };
}
