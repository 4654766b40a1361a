import type { TaskCompletionEvent } from "@mosaicstack/telemetry-protocol";
import { foldAccepted, type AcceptedBatch, type InstanceAggregateDelta, type RowChanges } from "../../aggregation/fold-accepted.js";
import type { EventToStore, IngestStatus } from "../storage.js";
import { additiveValues } from "../usage-rollup.js";
import { compactEvent } from "./compact-event.js";
import { sparseSketchOfBins } from "./sparse-sketch.js";
import { INSERT_EVENT, UPSERT_ALL_INSTANCES_ROLLUP, UPSERT_INSTANCE_AGGREGATE, UPSERT_ROLLUP, UPSERT_USAGE } from "./sqlite-sql.js";
import type { SqliteConnection } from "./sqlite-transaction.js";

/** One ingestEvents call waiting for its group's transaction. */
export interface SqliteIngestJob {
  instanceId: string;
  events: readonly EventToStore[];
  receivedMs: number;
}

/**
 * Inserts the events of several calls, in call order, then writes the rows their accepted events
 * change (aggregation's foldAccepted): one upsert per touched row for all the calls. Inside the
 * caller's transaction. A copy of an event_id already written in this transaction (later in the
 * same call, or by an earlier call) conflicts like one stored before: "duplicate", so the first
 * copy wins without a set of ids per call.
 */
export function ingestTogether(c: SqliteConnection, jobs: readonly SqliteIngestJob[]): IngestStatus[][] {
  const insertEvent = c.statement(INSERT_EVENT);
  const accepted: AcceptedBatch[] = [];
  // Events of one batch often share their timestamp: parsed once then.
  let lastTimestamp = "";
  let lastOccurredMs = 0;
  const results = jobs.map(({ instanceId, events, receivedMs }) => {
    const statuses = new Array<IngestStatus>(events.length);
    const stored: TaskCompletionEvent[] = [];
    for (let index = 0; index < events.length; index++) {
      const { event } = events[index] as EventToStore;
      if (event.timestamp !== lastTimestamp) {
        lastTimestamp = event.timestamp;
        lastOccurredMs = Date.parse(event.timestamp);
      }
      const { changes } = insertEvent.run(instanceId, event.event_id, receivedMs, event.timestamp, compactEvent(event), lastOccurredMs, event.actual_cost_usd_micros);
      if (changes === 1) {
        statuses[index] = "accepted";
        stored.push(event);
      } else statuses[index] = "duplicate";
    }
    if (stored.length > 0) accepted.push({ instanceId, receivedMs, events: stored });
    return statuses;
  });
  if (accepted.length > 0) writeRowChanges(c, foldAccepted(accepted));
  return results;
}

/** Writes a fold's rows, each list in its key order. */
function writeRowChanges(c: SqliteConnection, changes: RowChanges): void {
  const upsertRollup = c.statement(UPSERT_ROLLUP);
  for (const row of changes.rollups) {
    upsertRollup.run(row.instanceId, row.hourMs, row.provider, row.model, row.task_type, row.complexity, row.harness, row.outcome, ...additiveValues(row));
  }
  const upsertAllInstances = c.statement(UPSERT_ALL_INSTANCES_ROLLUP);
  for (const row of changes.allInstancesRollups) {
    upsertAllInstances.run(row.hourMs, row.provider, row.model, row.task_type, row.complexity, row.harness, row.outcome, ...additiveValues(row));
  }
  writeInstanceAggregates(c, changes.instanceAggregates);
  const upsertUsage = c.statement(UPSERT_USAGE);
  for (const used of changes.usage) upsertUsage.run(used.instanceId, used.events, used.firstMs, used.lastMs);
}

/**
 * Adds (group, instance) aggregate changes: one upsert per row, its four sketches as sparse BLOBs (sparse-sketch.ts)
 * merged in the statement. Also what migration 6's backfill writes through.
 */
export function writeInstanceAggregates(c: SqliteConnection, rows: readonly InstanceAggregateDelta[]): void {
  const upsert = c.statement(UPSERT_INSTANCE_AGGREGATE);
  for (const row of rows) {
    upsert.run(
      row.groupKey,
      row.instanceId,
      row.events,
      row.sumEstimatedInputTokens,
      row.sumActualInputTokens,
      row.sumEstimatedOutputTokens,
      row.sumActualOutputTokens,
      row.gatePassed,
      row.successes,
      row.lastUpdatedMs,
      ...row.bins.map((bins) => sparseSketchOfBins(bins)),
    );
  }
}
