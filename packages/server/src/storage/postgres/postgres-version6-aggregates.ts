import type { InstanceAggregateDelta } from "../../aggregation/fold-accepted.js";
import { SKETCH_METRICS } from "../../aggregation/sketch-metrics.js";
import { compareKeys } from "../../aggregation/compare-keys.js";
import type { PgQueryable } from "./postgres-driver.js";
import { sumsParameters } from "./postgres-ingest.js";
import { AGGREGATE_SUMS_UPSERT } from "./postgres-sql.js";

/**
 * How migration 6's backfill writes (group, instance) aggregates: in the layout of version 6, the
 * sums in instance_aggregates and every sketch bin as a row of instance_bins. A released
 * migration keeps its meaning, so its backfill keeps this writer; migration 8
 * (sketches-in-row-migration.ts) then folds the bin rows into the aggregate rows, as it does for a
 * database that was at version 6 or 7 already. Ingest writes the layout of today (postgres-ingest.ts).
 */

const UPSERT_VERSION6_BINS = `
  INSERT INTO instance_bins (group_key, instance_id, metric, bin, count)
  SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::integer[], $5::bigint[]) AS b (group_key, instance_id, metric, bin, count)
  ORDER BY b.group_key, b.instance_id, b.metric, b.bin
  ON CONFLICT (group_key, instance_id, metric, bin) DO UPDATE SET count = instance_bins.count + excluded.count`;

/** SKETCH_METRICS indexes in metric-name order: the order bin rows are keyed in. */
const METRICS_BY_NAME = SKETCH_METRICS.map((metric, index) => ({ metric, index })).sort((a, b) => compareKeys(a.metric, b.metric));

export async function writeVersion6Aggregates(client: PgQueryable, rows: readonly InstanceAggregateDelta[]): Promise<void> {
  if (rows.length === 0) return;
  await client.query(AGGREGATE_SUMS_UPSERT, sumsParameters(rows));
  const bins = { groupKeys: [] as string[], instanceIds: [] as string[], metrics: [] as string[], bins: [] as number[], counts: [] as number[] };
  for (const row of rows) {
    for (const { metric, index } of METRICS_BY_NAME) {
      const byBin = row.bins[index] as Map<number, number>;
      for (const bin of [...byBin.keys()].sort((a, b) => a - b)) {
        bins.groupKeys.push(row.groupKey);
        bins.instanceIds.push(row.instanceId);
        bins.metrics.push(metric);
        bins.bins.push(bin);
        bins.counts.push(byBin.get(bin) as number);
      }
    }
  }
  await client.query(UPSERT_VERSION6_BINS, [bins.groupKeys, bins.instanceIds, bins.metrics, bins.bins, bins.counts]);
}
