import { compareKeys } from "../aggregation/compare-keys.js";
import { emptyUsageSums, type UsageSums } from "../aggregation/usage-rules.js";
import type { UsageSeriesRow } from "../storage/storage.js";
import { addSums } from "./usage-report.js";

/**
 * The most groups a split series answers one by one; the rest are summed into one group per
 * bucket. Dimension values are the clients' own text (a model name), so one key could otherwise
 * make a series of a hundred thousand groups: tens of megabytes to build and send, the server
 * busy meanwhile. 20 lines are already more than a chart can tell apart.
 */
export const MAX_SERIES_GROUPS = 20;

/**
 * Keeps the `max` groups with the most events in the range (ties: the higher cost, then the
 * name) and sums every other group's rows into one row per bucket whose group is null: "the
 * others". Rows of an unsplit series (group null already) are returned as they are.
 */
export function capSeriesGroups(rows: readonly UsageSeriesRow[], max = MAX_SERIES_GROUPS): { rows: readonly UsageSeriesRow[]; otherGroups: number } {
  const byGroup = new Map<string, { events: number; costUsdMicros: number }>();
  for (const row of rows) {
    if (row.group === null) return { rows, otherGroups: 0 };
    const seen = byGroup.get(row.group) ?? { events: 0, costUsdMicros: 0 };
    seen.events += row.events;
    seen.costUsdMicros += row.costUsdMicros;
    byGroup.set(row.group, seen);
  }
  if (byGroup.size <= max) return { rows, otherGroups: 0 };
  const ranked = [...byGroup].sort(([nameA, a], [nameB, b]) => b.events - a.events || b.costUsdMicros - a.costUsdMicros || compareKeys(nameA, nameB));
  const kept = new Set(ranked.slice(0, max).map(([name]) => name));
  const others = new Map<number, { bucketStart: Date; sums: UsageSums }>();
  const capped: UsageSeriesRow[] = [];
  for (const row of rows) {
    if (kept.has(row.group as string)) {
      capped.push(row);
      continue;
    }
    const bucket = row.bucketStart.getTime();
    let other = others.get(bucket);
    if (other === undefined) {
      other = { bucketStart: row.bucketStart, sums: emptyUsageSums() };
      others.set(bucket, other);
    }
    addSums(other.sums, row);
  }
  for (const { bucketStart, sums } of others.values()) capped.push({ ...sums, bucketStart, group: null });
  return { rows: capped, otherGroups: byGroup.size - max };
}
