import type pg from "pg";

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

const METRICS = ["input_tokens", "output_tokens", "cost_usd_micros", "duration_ms"];

/**
 * The sketches of a schema's aggregate rows as (group_key, instance_id, metric, bin, count) rows:
 * what the tests read the bins through, whatever arrays a row keeps them in (migration 8).
 */
export function binRowsSql(schema: string): string {
  const perMetric = METRICS.map(
    (metric) => `SELECT '${metric}' AS metric, u.bin, u.count FROM unnest(a.${metric}_bins, a.${metric}_counts) AS u (bin, count)`,
  ).join(" UNION ALL ");
  return `(SELECT a.group_key, a.instance_id, m.metric, m.bin, m.count FROM ${schema}.instance_aggregates a, LATERAL (${perMetric}) AS m)`;
}

/** Reads the totals that must agree when no update was lost or doubled. */
export async function aggregateTotals(client: pg.Client, schema: string): Promise<AggregateTotals> {
  const one = async (sql: string) => Number((await client.query(sql)).rows[0]?.n ?? 0);
  const bins = await client.query(
    `SELECT metric, sum(count)::bigint AS n FROM ${binRowsSql(schema)} AS b WHERE ${LEVEL_0} GROUP BY metric`,
  );
  const drifting = await client.query(
    `SELECT a.group_key FROM ${schema}.instance_aggregates a
     JOIN ${binRowsSql(schema)} b ON b.group_key = a.group_key AND b.instance_id = a.instance_id
     GROUP BY a.group_key, a.instance_id, a.events, b.metric HAVING sum(b.count) <> a.events`,
  );
  return {
    events: await one(`SELECT count(*) AS n FROM ${schema}.events`),
    usageEvents: await one(`SELECT coalesce(sum(events), 0) AS n FROM ${schema}.instance_usage`),
    level0Events: await one(`SELECT coalesce(sum(events), 0) AS n FROM ${schema}.instance_aggregates WHERE ${LEVEL_0}`),
    binTotals: Object.fromEntries(bins.rows.map((row: { metric: string; n: string }) => [row.metric, Number(row.n)])),
    groupsWithDriftingBins: drifting.rows.map((row: { group_key: string }) => row.group_key),
  };
}
