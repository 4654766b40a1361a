import { SKETCH_METRICS, type SketchMetric } from "../../aggregation/sketch-metrics.js";
import type { GroupAggregate, GroupSummary, InstanceUsage, QuantileBins, StoredEvent, TopEventsQuery, UsageSeriesQuery, UsageSeriesRow } from "../storage.js";
import { DAY_MS, HOUR_MS, ROLLUP_ADDITIVE_COLUMNS, sumsOfValues } from "../usage-rollup.js";
import { binsOfSketch, decodeSketch, quantileBinsOfSketch } from "./dense-sketch.js";
import { toSummary, type GroupRow, type SketchRow } from "./sqlite-rows.js";
import { KEYS_PARAM, READ_SKETCHES, SERIES_SUMS, topEventsSql } from "./sqlite-sql.js";
import type { SqliteConnection } from "./sqlite-transaction.js";

/** What the predictor and the usage API read on SQLite. */

export function readGroups(c: SqliteConnection, groupKeys: readonly string[]): Map<string, GroupAggregate> {
  const keys = JSON.stringify(groupKeys);
  // One read transaction: another process's commit cannot land between the summaries and the
  // bins, so bin counts always sum to the events of the summary they come with.
  return c.run(() =>
    c.readTransaction(() => {
      const rows = c.statement(`SELECT * FROM aggregate_groups WHERE group_key IN ${KEYS_PARAM}`).all(keys) as GroupRow[];
      const sketchRows = c.statement(READ_SKETCHES).all(keys) as SketchRow[];
      const result = new Map<string, GroupAggregate>();
      for (const row of rows) {
        const bins = Object.fromEntries(SKETCH_METRICS.map((metric) => [metric, new Map<number, number>()])) as Record<SketchMetric, Map<number, number>>;
        result.set(row.group_key, { ...toSummary(row), bins });
      }
      for (const row of sketchRows) {
        const group = result.get(row.group_key);
        if (group !== undefined && SKETCH_METRICS.includes(row.metric)) group.bins[row.metric] = binsOfSketch(decodeSketch(row.sketch));
      }
      return result;
    }),
  );
}

export function readChildSummaries(c: SqliteConnection, parentKeys: readonly string[]): GroupSummary[] {
  const rows = c.run(() =>
    c.statement(`SELECT * FROM aggregate_groups WHERE parent_key IN ${KEYS_PARAM} ORDER BY group_key`).all(JSON.stringify(parentKeys)),
  ) as GroupRow[];
  return rows.map(toSummary);
}

export function readInstanceCounts(c: SqliteConnection, groupKeys: readonly string[]): Map<string, Map<string, number>> {
  const rows = c.run(() =>
    c.statement(`SELECT group_key, instance_id, events FROM group_instances WHERE group_key IN ${KEYS_PARAM}`).all(JSON.stringify(groupKeys)),
  ) as { group_key: string; instance_id: string; events: number }[];
  const result = new Map<string, Map<string, number>>();
  for (const row of rows) {
    let counts = result.get(row.group_key);
    if (!counts) result.set(row.group_key, (counts = new Map()));
    counts.set(row.instance_id, row.events);
  }
  return result;
}

export function readGroupSummaries(c: SqliteConnection, groupKeys: readonly string[]): Map<string, GroupSummary> {
  const rows = c.run(() => c.statement(`SELECT * FROM aggregate_groups WHERE group_key IN ${KEYS_PARAM}`).all(JSON.stringify(groupKeys))) as GroupRow[];
  return new Map(rows.map((row) => [row.group_key, toSummary(row)]));
}

/** Each sketch is one BLOB row, walked here for the asked quantiles (dense-sketch.ts). */
export function readQuantileBins(c: SqliteConnection, groupKeys: readonly string[], quantiles: readonly number[]): Map<string, QuantileBins> {
  const rows = c.run(() => c.statement(READ_SKETCHES).all(JSON.stringify(groupKeys))) as SketchRow[];
  const result = new Map<string, QuantileBins>();
  for (const row of rows) {
    if (!SKETCH_METRICS.includes(row.metric)) continue;
    let bins = result.get(row.group_key);
    if (!bins) {
      bins = Object.fromEntries(SKETCH_METRICS.map((metric) => [metric, quantiles.map(() => null)])) as QuantileBins;
      result.set(row.group_key, bins);
    }
    bins[row.metric] = quantileBinsOfSketch(decodeSketch(row.sketch), quantiles);
  }
  return result;
}

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
  ) as { instance_id: string; payload: string }[];
  return rows.map((row) => ({ instanceId: row.instance_id, event: JSON.parse(row.payload) as Record<string, unknown> }));
}
