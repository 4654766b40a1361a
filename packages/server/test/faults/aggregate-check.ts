import type pg from "pg";
import { SKETCH_METRICS } from "../../src/aggregation/sketch-metrics.js";
import { binsOfSketchBytes } from "../../src/storage/postgres/sketch-bytes.js";

/** What a schema's tables say about its events and their aggregates. */
export interface AggregateTotals {
  /** Rows in events. */
  events: number;
  /** Sum of instance_usage.events. */
  usageEvents: number;
  /** Sum of events over the level-0 (group, instance) aggregates (each event is in exactly one). */
  level0Events: number;
  /** Per metric, the sum of every level-0 aggregate's bin counts. */
  binTotals: Record<string, number>;
  /** (group, instance) aggregates of any level whose bins of some metric do not sum to their events. */
  groupsWithDriftingBins: string[];
}

/** A level-0 group's key holds all four dimensions (aggregation/group-key.ts). */
const LEVEL_0 = "json_array_length(group_key::json) = 4";

/** Contributors of the level-3 groups: instances with an aggregate in each, by group key. */
export async function providerContributors(client: pg.Client, schema: string): Promise<number[]> {
  const { rows } = await client.query(
    `SELECT count(*)::int AS n FROM ${schema}.instance_aggregates WHERE json_array_length(group_key::json) = 1 GROUP BY group_key ORDER BY group_key`,
  );
  return rows.map((row: { n: number }) => row.n);
}

/**
 * The per-metric bin totals of a schema's aggregate rows (each sketch decoded, migration 8's
 * bytea), with each row's events: the bins of every metric of a row sum to its events.
 */
export async function sketchTotals(
  client: pg.Client,
  schema: string,
  where: string,
  values: unknown[] = [],
): Promise<{ groupKey: string; events: number; totals: Record<string, number> }[]> {
  const { rows } = await client.query(`SELECT group_key, events, ${SKETCH_METRICS.map((m) => `${m}_sketch`).join(", ")} FROM ${schema}.instance_aggregates WHERE ${where}`, values);
  return rows.map((row: Record<string, unknown>) => ({
    groupKey: row["group_key"] as string,
    events: Number(row["events"]),
    totals: Object.fromEntries(SKETCH_METRICS.map((m) => [m, [...binsOfSketchBytes(row[`${m}_sketch`] as Buffer).values()].reduce((x, y) => x + y, 0)])),
  }));
}

/** Reads the totals that must agree when no update was lost or doubled. */
export async function aggregateTotals(client: pg.Client, schema: string): Promise<AggregateTotals> {
  const one = async (sql: string) => Number((await client.query(sql)).rows[0]?.n ?? 0);
  const level0 = await sketchTotals(client, schema, LEVEL_0);
  const all = await sketchTotals(client, schema, "true");
  const binTotals: Record<string, number> = {};
  for (const { totals } of level0) for (const [metric, n] of Object.entries(totals)) binTotals[metric] = (binTotals[metric] ?? 0) + n;
  return {
    events: await one(`SELECT count(*) AS n FROM ${schema}.events`),
    usageEvents: await one(`SELECT coalesce(sum(events), 0) AS n FROM ${schema}.instance_usage`),
    level0Events: await one(`SELECT coalesce(sum(events), 0) AS n FROM ${schema}.instance_aggregates WHERE ${LEVEL_0}`),
    binTotals,
    groupsWithDriftingBins: all.filter(({ events, totals }) => Object.values(totals).some((n) => n !== events)).map(({ groupKey }) => groupKey),
  };
}
