import type { PredictionQuery, PredictionResponse } from "@mosaicstack/telemetry-protocol";
import { GROUP_LEVELS, groupKey } from "../../aggregation/group-key.js";
import type { CrowdSnapshot } from "./crowd-snapshot.js";
import { respond, type Answer } from "./prediction-response.js";
import { refreshAllWith, type RefreshReport } from "./refresh-all.js";
import { isStale, parseSnapshots, settingsOf, snapshotOf, staleBeforeAt, timeOf, toStored, type PrivatePredictorOptions } from "./snapshot-settings.js";
import type { PredictionStore } from "../../storage/prediction-store.js";

export { DEFAULT_SNAPSHOT_INTERVAL_MS, keyedNoiseOf, type PrivatePredictorOptions, type SnapshotNoise } from "./snapshot-settings.js";
export { refreshAllSnapshots, type RefreshReport } from "./refresh-all.js";

/** Who asks: own-history answers are read for this instance only. */
export interface Asker {
  instanceId: string;
}

export interface PrivatePredictor {
  /** `results[i]` answers `queries[i]`; without an asker there is no own history to answer from. */
  predict(queries: readonly PredictionQuery[], asker?: Asker): Promise<PredictionResponse[]>;
  /** refreshAllSnapshots with this predictor's settings: what the background refresher runs. */
  refreshAll(signal?: AbortSignal): Promise<RefreshReport>;
}

/**
 * Predictions that keep the privacy promise (docs/predictions.md, "Privacy"): crowd answers come
 * from per-group snapshots, recomputed at most once per interval from every instance's
 * aggregates (kept at ingest) with bounded weights and noise, stored so every server process
 * serves the same one; the asking instance's own aggregates answer exactly where no crowd level
 * does, or when asked for.
 */
export function createPrivatePredictor(store: PredictionStore, options: PrivatePredictorOptions = {}): PrivatePredictor {
  const settings = settingsOf(store, options);
  const { queryGrace } = settings;

  /**
   * Refreshes under way in this process, by group key: a query that finds a group stale while
   * another query is already recomputing it waits for that one instead of reading its aggregates
   * again (across processes the store's claim in saveSnapshots keeps one snapshot per interval).
   */
  const inFlight = new Map<string, Promise<Map<string, CrowdSnapshot>>>();

  /** The current snapshots of `groups`: stored ones, refreshes under way, and a refresh of the rest. */
  async function snapshotsOf(groups: ReadonlySet<string>): Promise<Map<string, CrowdSnapshot>> {
    const running = [...groups].flatMap((key) => inFlight.get(key) ?? []);
    const waiting = [...new Set(running)];
    const ownKeys = [...groups].filter((key) => !inFlight.has(key));
    const mine = ownKeys.length === 0 ? Promise.resolve(new Map<string, CrowdSnapshot>()) : refresh(ownKeys);
    for (const key of ownKeys) inFlight.set(key, mine);
    try {
      const result = new Map<string, CrowdSnapshot>();
      for (const part of await Promise.all([...waiting, mine])) for (const [key, snapshot] of part) if (groups.has(key)) result.set(key, snapshot);
      return result;
    } finally {
      for (const key of ownKeys) if (inFlight.get(key) === mine) inFlight.delete(key);
    }
  }

  /**
   * Reads the stored snapshots of `keys` and recomputes (and stores) the stale ones from their
   * groups' aggregates. Staleness, the new snapshots' time and the claim that stores them all
   * take the store's clock, so a host whose clock is off neither replaces a snapshot early nor
   * keeps one late. The clock comes with the read: a query that finds its snapshots fresh, or
   * groups with no events, costs no extra round trip; only a group's first snapshot, with none
   * stored beside it, asks the store's clock alone.
   */
  async function refresh(keys: readonly string[]): Promise<Map<string, CrowdSnapshot>> {
    const read = await store.readSnapshots(keys);
    const stored = parseSnapshots(read.snapshots);
    const readAt = timeOf(settings, read);
    const stale = readAt === null ? keys : keys.filter((key) => isStale(stored.get(key), staleBeforeAt(settings, readAt, queryGrace)));
    if (stale.length === 0) return stored;
    const aggregates = await store.readInstanceAggregates(stale);
    if (!stale.some((key) => aggregates.has(key))) return stored;
    const at = readAt ?? (await store.clock());
    const noise = await settings.noise();
    const fresh = stale.flatMap((key) => {
      const instances = aggregates.get(key);
      return instances === undefined ? [] : [snapshotOf(settings, noise, key, instances, at, stored.get(key))];
    });
    const saved = await store.saveSnapshots(fresh.map(toStored), staleBeforeAt(settings, at, queryGrace));
    for (const [key, snapshot] of parseSnapshots(saved)) stored.set(key, snapshot);
    return stored;
  }

  return {
    async predict(queries, asker) {
      const answers: (Answer | undefined)[] = queries.map(() => undefined);
      const wantsCrowd = (query: PredictionQuery): boolean => query.source !== "own";
      for (const level of GROUP_LEVELS) {
        const pending = queries.flatMap((query, index) => (answers[index] === undefined && wantsCrowd(query) ? [{ query, index, key: groupKey(query, level) }] : []));
        if (pending.length === 0) break;
        const snapshots = await snapshotsOf(new Set(pending.map(({ key }) => key)));
        for (const { index, key } of pending) {
          const snapshot = snapshots.get(key);
          if (snapshot?.answers === true) answers[index] = { level, source: "crowd", snapshot };
        }
      }
      if (asker !== undefined) {
        for (const level of GROUP_LEVELS) {
          const pending = queries.flatMap((query, index) => (answers[index] === undefined && query.source !== "crowd" ? [{ query, index, key: groupKey(query, level) }] : []));
          if (pending.length === 0) break;
          const own = await store.readOwnAggregates(asker.instanceId, [...new Set(pending.map(({ key }) => key))]);
          for (const { index, key } of pending) {
            const mine = own.get(key);
            if (mine !== undefined && mine.events > 0) answers[index] = { level, source: "own", own: mine };
          }
        }
      }
      return queries.map((query, index) => respond(query, answers[index]));
    },
    refreshAll: (signal) => refreshAllWith(store, settings, signal),
  };
}

