import type { TaskCompletionEvent } from "@mosaicstack/telemetry-protocol";
import { foldAccepted, type AcceptedBatch, type InstanceAggregateDelta, type RowChanges } from "../../aggregation/fold-accepted.js";
import { eventJson } from "../event-json.js";
import type { EventToStore } from "../storage.js";
import { ROLLUP_ADDITIVE_COLUMNS, additiveValues } from "../usage-rollup.js";
import type { PgQueryable } from "./postgres-driver.js";
import type { Row } from "./postgres-rows.js";
import { addToSketchBytes } from "./sketch-bytes.js";
import {
  INSERT_EVENTS,
  SET_INSTANCE_SKETCHES,
  SKETCH_COLUMNS,
  UPSERT_ALL_INSTANCES_ROLLUPS,
  UPSERT_INSTANCE_AGGREGATES,
  UPSERT_ROLLUPS,
  UPSERT_USAGE,
} from "./postgres-sql.js";

/** One ingestEvents call waiting for its transaction: its first copies of each event_id. */
export interface PostgresIngestJob {
  instanceId: string;
  events: readonly EventToStore[];
  receivedAt: Date;
}

/**
 * Inside one transaction, the ingest calls queued together: each call's events inserted (a copy of
 * a pair an earlier call of the group holds is that call's duplicate), then the rows every
 * accepted event changes (aggregation's foldAccepted). Per call, per event: whether this
 * transaction inserted it.
 */
export async function ingestTogether(client: PgQueryable, jobs: readonly PostgresIngestJob[]): Promise<boolean[][]> {
  const rows = { instanceIds: [] as string[], eventIds: [] as string[], receivedAts: [] as Date[], timestamps: [] as string[], payloads: [] as string[], costs: [] as number[] };
  const claimed = new Set<string>();
  const sentBy = jobs.map((job) =>
    job.events.map(({ event, sentText }) => {
      const pair = JSON.stringify([job.instanceId, event.event_id]);
      if (claimed.has(pair)) return false;
      claimed.add(pair);
      rows.instanceIds.push(job.instanceId);
      rows.eventIds.push(event.event_id);
      rows.receivedAts.push(job.receivedAt);
      rows.timestamps.push(event.timestamp);
      rows.payloads.push(sentText ?? eventJson(event));
      rows.costs.push(event.actual_cost_usd_micros);
      return true;
    }),
  );
  const result = await client.query(INSERT_EVENTS, [rows.instanceIds, rows.eventIds, rows.receivedAts, rows.timestamps, rows.payloads, rows.costs]);
  // Only events this transaction inserted count: a copy another process stored first is a
  // duplicate here, so the same event reaching two processes is aggregated once.
  const insertedPairs = new Set(result.rows.map((row) => JSON.stringify([row.instance_id, row.event_id])));
  const accepted: AcceptedBatch[] = [];
  const answers = jobs.map((job, j) => {
    const stored: TaskCompletionEvent[] = [];
    const inserted = job.events.map(({ event }, e) => {
      const ok = sentBy[j]?.[e] === true && insertedPairs.has(JSON.stringify([job.instanceId, event.event_id]));
      if (ok) stored.push(event);
      return ok;
    });
    if (stored.length > 0) accepted.push({ instanceId: job.instanceId, receivedMs: job.receivedAt.getTime(), events: stored });
    return inserted;
  });
  if (accepted.length > 0) await writeRowChanges(client, foldAccepted(accepted));
  return answers;
}

/**
 * Upserts a fold's rows: five statements for any number of events and instances, each one's rows
 * in key order, and the tables in the same order in every transaction.
 */
async function writeRowChanges(client: PgQueryable, { rollups, allInstancesRollups, instanceAggregates, usage }: RowChanges): Promise<void> {
  // Rollup rows belong to one instance each: written before the shared aggregate rows.
  const values = rollups.map(additiveValues);
  await client.query(UPSERT_ROLLUPS, [
    rollups.map((r) => r.instanceId),
    rollups.map((r) => new Date(r.hourMs)),
    rollups.map((r) => r.provider),
    rollups.map((r) => r.model),
    rollups.map((r) => r.task_type),
    rollups.map((r) => r.complexity),
    rollups.map((r) => r.harness),
    rollups.map((r) => r.outcome),
    ...ROLLUP_ADDITIVE_COLUMNS.map((_, i) => values.map((row) => row[i])),
  ]);
  // Shared by every instance: each transaction writes them in key order, and every transaction
  // writes the tables in the same order.
  const allValues = allInstancesRollups.map(additiveValues);
  await client.query(UPSERT_ALL_INSTANCES_ROLLUPS, [
    allInstancesRollups.map((r) => new Date(r.hourMs)),
    allInstancesRollups.map((r) => r.provider),
    allInstancesRollups.map((r) => r.model),
    allInstancesRollups.map((r) => r.task_type),
    allInstancesRollups.map((r) => r.complexity),
    allInstancesRollups.map((r) => r.harness),
    allInstancesRollups.map((r) => r.outcome),
    ...ROLLUP_ADDITIVE_COLUMNS.map((_, i) => allValues.map((row) => row[i])),
  ]);
  await writeInstanceAggregates(client, instanceAggregates);
  await client.query(UPSERT_USAGE, [usage.map((u) => u.instanceId), usage.map((u) => u.events), usage.map((u) => new Date(u.firstMs)), usage.map((u) => new Date(u.lastMs))]);
}

/**
 * Adds (group, instance) aggregate changes: the sums by one upsert, which locks the rows in key
 * order and returns their sketches; each sketch merged with its change here (sketch-bytes.ts);
 * the merged sketches set by one UPDATE of those locked rows. Another process's transaction on
 * the same row waits for the lock at its upsert and then reads this one's committed sketches, so
 * no bin is lost (docs/decisions/0011-instance-aggregates.md).
 */
export async function writeInstanceAggregates(client: PgQueryable, rows: readonly InstanceAggregateDelta[]): Promise<void> {
  if (rows.length === 0) return;
  const { rows: stored } = await client.query(UPSERT_INSTANCE_AGGREGATES, sumsParameters(rows));
  const byKey = new Map<string, Map<string, Row>>();
  for (const row of stored) getOrCreate(byKey, row.group_key as string).set(row.instance_id as string, row);
  const keys: string[][] = [[], []];
  const sketches: Buffer[][] = SKETCH_COLUMNS.map(() => []);
  for (const delta of rows) {
    const row = byKey.get(delta.groupKey)?.get(delta.instanceId);
    if (row === undefined) throw new Error("the aggregate upsert returned no row for a (group, instance) it wrote");
    (keys[0] as string[]).push(delta.groupKey);
    (keys[1] as string[]).push(delta.instanceId);
    SKETCH_COLUMNS.forEach((column, m) => {
      (sketches[m] as Buffer[]).push(addToSketchBytes(row[column] as Buffer, delta.bins[m] as Map<number, number>));
    });
  }
  await client.query(SET_INSTANCE_SKETCHES, [...keys, ...sketches]);
}

function getOrCreate(map: Map<string, Map<string, Row>>, key: string): Map<string, Row> {
  let value = map.get(key);
  if (value === undefined) map.set(key, (value = new Map()));
  return value;
}

/** The parameters of AGGREGATE_SUMS_UPSERT (and of UPSERT_INSTANCE_AGGREGATES, which extends it). */
export function sumsParameters(rows: readonly InstanceAggregateDelta[]): unknown[] {
  return [
    rows.map((r) => r.groupKey),
    rows.map((r) => r.instanceId),
    rows.map((r) => r.events),
    rows.map((r) => r.sumEstimatedInputTokens),
    rows.map((r) => r.sumActualInputTokens),
    rows.map((r) => r.sumEstimatedOutputTokens),
    rows.map((r) => r.sumActualOutputTokens),
    rows.map((r) => r.gatePassed),
    rows.map((r) => r.successes),
    rows.map((r) => new Date(r.lastUpdatedMs)),
  ];
}
