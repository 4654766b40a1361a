import type { TaskCompletionEvent } from "@mosaicstack/telemetry-protocol";
import { foldAccepted, type AcceptedBatch, type RowChanges } from "../../aggregation/fold-accepted.js";
import type { EventToStore, IngestStatus } from "../storage.js";
import { additiveValues } from "../usage-rollup.js";
import { sketchBlobOfBins } from "./dense-sketch.js";
import { ADD_TO_PAIR, INSERT_EVENT, INSERT_PAIR, UPSERT_ALL_INSTANCES_ROLLUP, UPSERT_GROUP, UPSERT_ROLLUP, UPSERT_SKETCH, UPSERT_USAGE } from "./sqlite-sql.js";
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
      const { event, payload } = events[index] as EventToStore;
      if (event.timestamp !== lastTimestamp) {
        lastTimestamp = event.timestamp;
        lastOccurredMs = Date.parse(event.timestamp);
      }
      const { changes } = insertEvent.run(instanceId, event.event_id, receivedMs, event.timestamp, payload, lastOccurredMs, event.actual_cost_usd_micros);
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
  // The write lock is ours for the whole transaction, so "the insert changed a row" is exactly
  // "this instance is new to this group".
  const insertPair = c.statement(INSERT_PAIR);
  const addToPair = c.statement(ADD_TO_PAIR);
  const newContributors = new Map<string, number>();
  for (const pair of changes.pairs) {
    if (insertPair.run(pair.groupKey, pair.instanceId, pair.events).changes === 1) {
      newContributors.set(pair.groupKey, (newContributors.get(pair.groupKey) ?? 0) + 1);
    } else addToPair.run(pair.events, pair.groupKey, pair.instanceId);
  }
  const upsertGroup = c.statement(UPSERT_GROUP);
  for (const group of changes.groups) {
    upsertGroup.run(
      group.groupKey,
      group.level,
      group.parentKey,
      group.events,
      newContributors.get(group.groupKey) ?? 0,
      group.sumEstimatedInputTokens,
      group.sumActualInputTokens,
      group.sumEstimatedOutputTokens,
      group.sumActualOutputTokens,
      group.gatePassed,
      group.successes,
      group.lastUpdatedMs,
    );
  }
  // One sketch upsert per (group, metric): bins come sorted by (group, metric, bin), so each
  // sketch's bins are one run of the list; a sketch merge costs its width.
  const upsertSketch = c.statement(UPSERT_SKETCH);
  const bins = changes.bins;
  for (let start = 0; start < bins.length; ) {
    const first = bins[start] as (typeof bins)[number];
    let end = start + 1;
    while (end < bins.length && bins[end]?.groupKey === first.groupKey && bins[end]?.metric === first.metric) end++;
    const pairs: [number, number][] = [];
    for (let i = start; i < end; i++) pairs.push([(bins[i] as (typeof bins)[number]).bin, (bins[i] as (typeof bins)[number]).count]);
    upsertSketch.run(first.groupKey, first.metric, sketchBlobOfBins(pairs));
    start = end;
  }
  const upsertUsage = c.statement(UPSERT_USAGE);
  for (const used of changes.usage) upsertUsage.run(used.instanceId, used.events, used.firstMs, used.lastMs);
}
