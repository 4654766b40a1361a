import type { GroupInstanceAggregates, PredictionStore } from "../../storage/prediction-store.js";
import type { CrowdSnapshot } from "./crowd-snapshot.js";
import { isStale, parseSnapshots, settingsOf, snapshotOf, staleBeforeAt, timeOf, toStored, type PrivatePredictorOptions, type SnapshotSettings } from "./snapshot-settings.js";

/**
 * Groups whose snapshots one refresh-all step reads and saves together. 20, not 100: a page's
 * aggregates stay alive until it is saved, and the garbage collector's copying of 100 groups'
 * held the event loop for up to 100 ms (docs/benchmarks/server-predictions.md).
 */
const REFRESH_PAGE_GROUPS = 20;

/** What a refresh of every group did. */
export interface RefreshReport {
  /** Groups that hold events. */
  groups: number;
  /** Snapshots computed and offered to the store (stale or missing ones). */
  computed: number;
  /** Of those, the ones that answer (enough events and contributors). */
  answering: number;
}

/**
 * Recomputes the snapshot of every group whose stored one is stale (or missing), as a query
 * would, from every instance's aggregates: what a server can run on a timer so that queries find
 * fresh snapshots. The aggregates are read group by group in chunks that yield to the event loop
 * (readAllInstanceAggregates), and the loop is yielded to again after each group's snapshot, so
 * ingest requests are served throughout. Takes the predictor's options (the same settings must
 * be given to both, or they disagree on staleness and noise); `signal` ends it early.
 */
export function refreshAllSnapshots(store: PredictionStore, options: PrivatePredictorOptions = {}, signal?: AbortSignal): Promise<RefreshReport> {
  return refreshAllWith(store, settingsOf(store, options), signal);
}

/** refreshAllSnapshots with settings already normalised: the predictor's own (its refreshAll). */
export async function refreshAllWith(store: PredictionStore, settings: SnapshotSettings, signal?: AbortSignal): Promise<RefreshReport> {
  const noise = await settings.noise();
  const stopped = (): boolean => signal?.aborted === true;
  const report: RefreshReport = { groups: 0, computed: 0, answering: 0 };
  let page: GroupInstanceAggregates[] = [];
  const flush = async (): Promise<void> => {
    const groups = page;
    page = [];
    // Each page is timed at its own read (the store's clock): a snapshot computed late in a long run is stamped then.
    const read = await store.readSnapshots(groups.map((group) => group.groupKey));
    const stored = parseSnapshots(read.snapshots);
    const at = timeOf(settings, read) ?? (await store.clock());
    const staleBefore = staleBeforeAt(settings, at, 0);
    const fresh: CrowdSnapshot[] = [];
    for (const { groupKey, instances } of groups) {
      if (stopped()) break;
      if (!isStale(stored.get(groupKey), staleBefore)) continue;
      fresh.push(snapshotOf(settings, noise, groupKey, instances, at, stored.get(groupKey)));
      await new Promise<void>((resolve) => setImmediate(resolve));
    }
    if (fresh.length > 0) await store.saveSnapshots(fresh.map(toStored), staleBefore);
    report.computed += fresh.length;
    report.answering += fresh.filter((snapshot) => snapshot.answers).length;
  };
  for await (const group of store.readAllInstanceAggregates()) {
    // Stopping (the server shuts down): the snapshots computed so far are still saved.
    if (stopped()) break;
    report.groups += 1;
    page.push(group);
    if (page.length >= REFRESH_PAGE_GROUPS) await flush();
    if (stopped()) break;
  }
  if (page.length > 0 && !stopped()) await flush();
  return report;
}

