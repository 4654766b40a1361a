import type { InstanceUsage, StoredEvent, TopEventsQuery, UsageSeriesQuery, UsageSeriesRow } from "../storage.js";
import { DAY_MS, HOUR_MS, ROLLUP_ADDITIVE_COLUMNS, sumsOfValues } from "../usage-rollup.js";
import { storedEvent, type StoredEventRow } from "./compact-event.js";
import { SERIES_SUMS, topEventsSql } from "./sqlite-sql.js";
import type { SqliteConnection } from "./sqlite-transaction.js";

/** What the usage API reads on SQLite (the predictor's reads: sqlite-prediction-store.ts). */

export function usage(c: SqliteConnection, instanceId: string): InstanceUsage {
  const row = c.run(() => c.statement("SELECT * FROM instance_usage WHERE instance_id = ?").get(instanceId)) as
    | { events: number; first_event_at: number; last_event_at: number }
    | undefined;
  if (!row) return { events: 0, firstEventAt: null, lastEventAt: null };
  return { events: row.events, firstEventAt: new Date(row.first_event_at), lastEventAt: new Date(row.last_event_at) };
}

export function readUsageSeries(c: SqliteConnection, query: UsageSeriesQuery): UsageSeriesRow[] {
  const size = query.bucket === "day" ? DAY_MS : HOUR_MS;
  // groupBy comes from the closed list ROLLUP_DIMENSIONS, never from the caller's text.
  const group = query.groupBy === null ? "NULL" : query.groupBy;
  // Every instance's series reads the rows kept summed across instances at ingest: one per (hour,
  // dimensions), however many instances send.
  const source = query.instanceId === null ? "usage_rollups_all WHERE" : "usage_rollups WHERE instance_id = ? AND";
  const sql = `SELECT hour / ${size} * ${size} AS bucket, ${group} AS grp, ${SERIES_SUMS} FROM ${source} hour >= ? AND hour < ? GROUP BY bucket, grp`;
  const range = [query.from.getTime(), query.to.getTime()];
  const rows = c.run(() => c.statement(sql).all(...(query.instanceId === null ? range : [query.instanceId, ...range]))) as Record<string, unknown>[];
  return rows.map((row) => ({
    bucketStart: new Date(row["bucket"] as number),
    group: (row["grp"] as string | null) ?? null,
    ...sumsOfValues(ROLLUP_ADDITIVE_COLUMNS.map((_, i) => row[`s${i}`])),
  }));
}

export function readTopEvents(c: SqliteConnection, query: TopEventsQuery): StoredEvent[] {
  const range = [query.from.getTime(), query.to.getTime(), query.limit];
  const rows = c.run(() =>
    query.instanceId === null ? c.statement(topEventsSql(true)).all(...range) : c.statement(topEventsSql(false)).all(query.instanceId, ...range),
  ) as StoredEventRow[];
  return rows.map((row) => ({ instanceId: row.instance_id, event: storedEvent(row) as unknown as Record<string, unknown> }));
}
