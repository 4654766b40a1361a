import { SKETCH_METRICS, type SketchMetric } from "../../aggregation/sketch-metrics.js";
import type { GroupAggregate, GroupSummary, InstanceUsage, QuantileBins, StoredEvent, TopEventsQuery, UsageSeriesQuery, UsageSeriesRow } from "../storage.js";
import { ROLLUP_ADDITIVE_COLUMNS, sumsOfValues } from "../usage-rollup.js";
import { quantileBinsOf } from "./quantile-bins.js";
import { num, toSummary } from "./postgres-rows.js";
import { READ_GROUPS, READ_QUANTILE_BINS, SERIES_SUMS } from "./postgres-sql.js";
import type { PostgresConnection } from "./postgres-transaction.js";

/** What the predictor and the usage API read on PostgreSQL. */

export async function readGroups(c: PostgresConnection, groupKeys: readonly string[]): Promise<Map<string, GroupAggregate>> {
  const result = new Map<string, GroupAggregate>();
  if (groupKeys.length === 0) return result;
  const { rows } = await c.query(READ_GROUPS, [groupKeys]);
  for (const row of rows) {
    const bins = Object.fromEntries(SKETCH_METRICS.map((metric) => [metric, new Map<number, number>()])) as Record<SketchMetric, Map<number, number>>;
    for (const [metric, bin, count] of (row.bins as [SketchMetric, number, number][] | null) ?? []) bins[metric]?.set(bin, num(count));
    result.set(row.group_key as string, { ...toSummary(row), bins });
  }
  return result;
}

export async function readChildSummaries(c: PostgresConnection, parentKeys: readonly string[]): Promise<GroupSummary[]> {
  if (parentKeys.length === 0) return [];
  const { rows } = await c.query('SELECT * FROM aggregate_groups WHERE parent_key = ANY ($1::text[]) ORDER BY group_key COLLATE "C"', [parentKeys]);
  return rows.map(toSummary);
}

export async function readInstanceCounts(c: PostgresConnection, groupKeys: readonly string[]): Promise<Map<string, Map<string, number>>> {
  const result = new Map<string, Map<string, number>>();
  if (groupKeys.length === 0) return result;
  const { rows } = await c.query("SELECT group_key, instance_id, events FROM group_instances WHERE group_key = ANY ($1::text[])", [groupKeys]);
  for (const row of rows) {
    const key = row.group_key as string;
    let counts = result.get(key);
    if (!counts) result.set(key, (counts = new Map()));
    counts.set(row.instance_id as string, num(row.events));
  }
  return result;
}

export async function readGroupSummaries(c: PostgresConnection, groupKeys: readonly string[]): Promise<Map<string, GroupSummary>> {
  if (groupKeys.length === 0) return new Map();
  const { rows } = await c.query("SELECT * FROM aggregate_groups WHERE group_key = ANY ($1::text[])", [groupKeys]);
  return new Map(rows.map((row) => [row.group_key as string, toSummary(row)]));
}

/** The rank walk runs in SQL (READ_QUANTILE_BINS): only the answering bins come back. */
export async function readQuantileBins(c: PostgresConnection, groupKeys: readonly string[], quantiles: readonly number[]): Promise<Map<string, QuantileBins>> {
  if (groupKeys.length === 0 || quantiles.length === 0) return new Map();
  const { rows } = await c.query(READ_QUANTILE_BINS, [groupKeys, quantiles]);
  return quantileBinsOf(
    groupKeys,
    quantiles.length,
    rows.map((row) => ({ group_key: row.group_key as string, metric: row.metric as SketchMetric, position: num(row.position), bin: num(row.bin) })),
  );
}

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
