import { foldInstanceAggregates, type AcceptedBatch } from "../aggregation/fold-accepted.js";
import type { BackfillEvent, BackfillStep, EventCursor } from "./migration.js";

/** Events per page: a page's fold stays small in memory whatever the database holds. */
export const BACKFILL_PAGE = 20_000;

/**
 * Fills the (group, instance) aggregates from the stored events with ingest's own fold
 * (aggregation/fold-accepted.ts), page by page in (instance_id, event_id) order: the aggregates
 * are sums, so pages add up to what ingest would have built, whatever the page boundaries.
 * Runs inside the migration's transaction, on both engines alike (migration.ts).
 */
export function* instanceAggregatesBackfill(): Generator<BackfillStep, void, unknown> {
  let after: EventCursor = null;
  for (;;) {
    const page = (yield { kind: "readEvents", after, limit: BACKFILL_PAGE }) as BackfillEvent[];
    if (page.length > 0) yield { kind: "writeInstanceAggregates", rows: foldInstanceAggregates(batchesOf(page)) };
    if (page.length < BACKFILL_PAGE) return;
    const last = page[page.length - 1] as BackfillEvent;
    after = { instanceId: last.instanceId, eventId: last.eventId };
  }
}

/** Consecutive events of one instance and receive time as one batch, as ingest would have accepted them. */
function batchesOf(page: readonly BackfillEvent[]): AcceptedBatch[] {
  const batches: AcceptedBatch[] = [];
  let current: { instanceId: string; receivedMs: number; events: BackfillEvent["event"][] } | null = null;
  for (const row of page) {
    if (current === null || current.instanceId !== row.instanceId || current.receivedMs !== row.receivedMs) {
      current = { instanceId: row.instanceId, receivedMs: row.receivedMs, events: [] };
      batches.push(current);
    }
    current.events.push(row.event);
  }
  return batches;
}
