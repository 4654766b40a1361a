import type pg from "pg";

/** What a schema's tables say about its events and their aggregates. */
export interface AggregateTotals {
  /** Rows in events. */
  events: number;
  /** Sum of instance_usage.events. */
  usageEvents: number;
  /** Sum of events over the level-0 groups (each event is in exactly one). */
  level0Events: number;
  /** Per metric, the sum of every level-0 group's bin counts. */
  binTotals: Record<string, number>;
  /** Groups of any level whose bins of some metric do not sum to the group's events. */
  groupsWithDriftingBins: string[];
}

/** Reads the totals that must agree when no update was lost or doubled. */
export async function aggregateTotals(client: pg.Client, schema: string): Promise<AggregateTotals> {
  const one = async (sql: string) => Number((await client.query(sql)).rows[0]?.n ?? 0);
  const bins = await client.query(
    `SELECT b.metric, sum(b.count)::bigint AS n FROM ${schema}.group_bins b
     JOIN ${schema}.aggregate_groups g ON g.group_key = b.group_key AND g.level = 0 GROUP BY b.metric`,
  );
  const drifting = await client.query(
    `SELECT g.group_key FROM ${schema}.aggregate_groups g
     JOIN ${schema}.group_bins b ON b.group_key = g.group_key
     GROUP BY g.group_key, g.events, b.metric HAVING sum(b.count) <> g.events`,
  );
  return {
    events: await one(`SELECT count(*) AS n FROM ${schema}.events`),
    usageEvents: await one(`SELECT coalesce(sum(events), 0) AS n FROM ${schema}.instance_usage`),
    level0Events: await one(`SELECT coalesce(sum(events), 0) AS n FROM ${schema}.aggregate_groups WHERE level = 0`),
    binTotals: Object.fromEntries(bins.rows.map((row: { metric: string; n: string }) => [row.metric, Number(row.n)])),
    groupsWithDriftingBins: drifting.rows.map((row: { group_key: string }) => row.group_key),
  };
}
