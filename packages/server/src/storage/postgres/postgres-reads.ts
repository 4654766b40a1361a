import type { InstanceUsage, StoredEvent, TopEventsQuery, UsageSeriesQuery, UsageSeriesRow } from "../storage.js";
import { ROLLUP_ADDITIVE_COLUMNS, sumsOfValues } from "../usage-rollup.js";
import { num } from "./postgres-rows.js";
import { SERIES_SUMS } from "./postgres-sql.js";
import type { PostgresConnection } from "./postgres-transaction.js";

/** What the usage API reads on PostgreSQL (the predictor's reads: postgres-prediction-store.ts). */

export async function usage(c: PostgresConnection, instanceId: string): Promise<InstanceUsage> {
  const { rows } = await c.query("SELECT * FROM instance_usage WHERE instance_id = $1", [instanceId]);
  const row = rows[0];
  if (!row) return { events: 0, firstEventAt: null, lastEventAt: null };
  return { events: num(row.events), firstEventAt: row.first_event_at as Date, lastEventAt: row.last_event_at as Date };
}

export async function readUsageSeries(c: PostgresConnection, query: UsageSeriesQuery): Promise<UsageSeriesRow[]> {
  // groupBy comes from the closed list ROLLUP_DIMENSIONS, never from the caller's text.
  const group = query.groupBy === null ? "NULL::text" : query.groupBy;
  // Every instance's series reads the rows kept summed across instances at ingest: one per (hour,
  // dimensions), however many instances send.
  const source = query.instanceId === null ? "usage_rollups_all WHERE" : "usage_rollups WHERE instance_id = $4 AND";
  const { rows } = await c.query(
    `SELECT date_bin($1::interval, hour, TIMESTAMPTZ '2000-01-01 00:00:00+00') AS bucket, ${group} AS grp, ${SERIES_SUMS}
     FROM ${source} hour >= $2 AND hour < $3 GROUP BY bucket, grp`,
    [query.bucket === "day" ? "1 day" : "1 hour", query.from, query.to, ...(query.instanceId === null ? [] : [query.instanceId])],
  );
  return rows.map((row) => ({
    bucketStart: row.bucket as Date,
    group: (row.grp as string | null) ?? null,
    ...sumsOfValues(ROLLUP_ADDITIVE_COLUMNS.map((_, i) => row[`s${i}`])),
  }));
}

export async function readTopEvents(c: PostgresConnection, query: TopEventsQuery): Promise<StoredEvent[]> {
  // The inner query reads only the index (instance_id, "timestamp") INCLUDE (cost_usd_micros);
  // payloads are fetched for the chosen rows alone.
  const instances = query.instanceId === null ? "instance_id IN (SELECT id FROM instances)" : "instance_id = $4";
  const { rows } = await c.query(
    `SELECT e.instance_id, e.payload::text AS payload FROM events e JOIN (
       SELECT instance_id, event_id, cost_usd_micros, "timestamp" FROM events
       WHERE ${instances} AND "timestamp" >= $1 AND "timestamp" < $2
       ORDER BY cost_usd_micros DESC, "timestamp" DESC LIMIT $3
     ) AS top USING (instance_id, event_id)
     ORDER BY top.cost_usd_micros DESC, top."timestamp" DESC`,
    [query.from, query.to, query.limit, ...(query.instanceId === null ? [] : [query.instanceId])],
  );
  return rows.map((row) => ({ instanceId: row.instance_id as string, event: JSON.parse(row.payload as string) as Record<string, unknown> }));
}
