import { randomBytes } from "node:crypto";
import type { PredictionQuery, PredictionResponse } from "@mosaicstack/telemetry-protocol";
import { GROUP_LEVELS, groupKey } from "../../aggregation/group-key.js";
import { DEFAULT_PREDICTION_THRESHOLDS, type PredictionThresholds } from "../prediction-thresholds.js";
import { computeCrowdSnapshot, type CrowdSnapshot } from "./crowd-snapshot.js";
import type { InstanceAggregate } from "../../aggregation/instance-aggregate.js";
import { WEIGHT_UNITS } from "./instance-weights.js";
import { respond, type Answer } from "./prediction-response.js";
import { DEFAULT_PRIVACY_PARAMETERS, type PrivacyParameters } from "./privacy-parameters.js";
import { keyedSnapshotNoise } from "./keyed-noise.js";
import { seededRandomIntegers, type RandomIntegers } from "./random-integers.js";
import type { GroupInstanceAggregates, PredictionStore, SnapshotRead, StoredSnapshot } from "../../storage/prediction-store.js";

/** How often a group's crowd snapshot may be recomputed. @default 1 hour */
export const DEFAULT_SNAPSHOT_INTERVAL_MS = 3_600_000;

export interface PrivatePredictorOptions {
  /** @default { minEvents: 10, minContributors: 5 } */
  thresholds?: PredictionThresholds;
  /** @default DEFAULT_PRIVACY_PARAMETERS (ε = 1/2 in small groups) */
  parameters?: PrivacyParameters;
  /** @default DEFAULT_SNAPSHOT_INTERVAL_MS */
  snapshotIntervalMs?: number;
  /**
   * How much longer than the interval a query waits before it recomputes a stale snapshot itself:
   * where a background refresher runs, its margin to reach every group first (else the groups
   * queried most would be recomputed by queries and drop out of its passes). @default 0
   */
  queryGraceMs?: number;
  /**
   * A test clock (tests, benches): when given, it times the snapshots. Production leaves it out, so
   * the store's clock does (read with the stored snapshots, or alone for a group's first one):
   * PostgreSQL's, the one clock every process of a deployment shares whatever its host's says
   * (the host's for SQLite). That time is when a snapshot was computed (its last_updated and noise
   * window) and decides when it is stale, so every process agrees on one snapshot per group per interval.
   * @default the store's clock
   */
  now?: () => Date;
  /**
   * The noise source of a snapshot, from its input data (keyed-noise.ts).
   * @default keyed noise under the store's noise key (made by the first process that asks; tests pass seededSnapshotNoise(seed))
   */
  noise?: SnapshotNoise;
}

/**
 * A snapshot's noise source. The server's (keyed noise) reads only the instances' aggregates: the
 * same data, the same noise, whatever the group or time. Tests' seeded sources read the group and
 * time instead, so their answers do not hang on the random instance ids a test makes.
 */
export type SnapshotNoise = (instances: readonly InstanceAggregate[], groupKey: string, computedAt: Date) => RandomIntegers;

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

/** A deterministic noise source per (group, snapshot time) from one seed: same seed, same answers, on every engine. */
export function seededSnapshotNoise(seed: string): SnapshotNoise {
  return (_instances, key, at) => seededRandomIntegers(`${seed}|${key}|${at.toISOString()}`);
}

/**
 * Keyed noise under `key` (hex, at least 32 bytes) for the mechanism `settings` (thresholds and
 * privacy parameters) with snapshot windows of `intervalMs`: the server's noise, with a key of the caller's.
 */
export function keyedNoiseOf(key: string, settings: string, intervalMs: number): SnapshotNoise {
  if (!/^(?:[0-9a-f]{2}){32,}$/i.test(key)) throw new RangeError("the stored prediction noise key is not 32 or more bytes of hex");
  const noise = keyedSnapshotNoise(Buffer.from(key, "hex"), settings);
  // An interval of 0 (every snapshot always stale: benches) makes each millisecond a window.
  return (instances, _groupKey, at) => noise(instances, intervalMs > 0 ? Math.floor(at.getTime() / intervalMs) : at.getTime());
}

/** Keyed noise under the store's noise key, read (or made, by the first process) once per predictor. */
function storeKeyedNoise(store: PredictionStore, settings: string, intervalMs: number): () => Promise<SnapshotNoise> {
  let noise: Promise<SnapshotNoise> | null = null;
  return () => {
    noise ??= store.noiseKey(randomBytes(NOISE_KEY_BYTES).toString("hex")).then((key) => keyedNoiseOf(key, settings, intervalMs));
    // A failed read (storage down) is retried by the next refresh, not remembered.
    noise.catch(() => (noise = null));
    return noise;
  };
}

/** Bytes of a new noise key (stored as hex). */
const NOISE_KEY_BYTES = 32;

/** The options with their defaults, normalised once. */
interface SnapshotSettings {
  thresholds: PredictionThresholds;
  parameters: PrivacyParameters;
  interval: number;
  queryGrace: number;
  /** A test clock, or null: the store's. */
  now: (() => Date) | null;
  /** The noise source, resolved once its key is read. */
  noise: () => Promise<SnapshotNoise>;
}

function settingsOf(store: PredictionStore, options: PrivatePredictorOptions): SnapshotSettings {
  const given = options.noise;
  const thresholds = options.thresholds ?? DEFAULT_PREDICTION_THRESHOLDS;
  const parameters = options.parameters ?? DEFAULT_PRIVACY_PARAMETERS;
  const interval = options.snapshotIntervalMs ?? DEFAULT_SNAPSHOT_INTERVAL_MS;
  // What the mechanism's weights depend on: a draw is never reused on other weights.
  const mechanism = JSON.stringify({ mechanism: 3, weightUnits: WEIGHT_UNITS, minEvents: thresholds.minEvents, minContributors: thresholds.minContributors, epsilon: parameters.epsilon });
  return Object.freeze({
    thresholds: Object.freeze({ ...thresholds }),
    parameters,
    interval,
    queryGrace: options.queryGraceMs ?? 0,
    now: options.now ?? null,
    noise: given !== undefined ? () => Promise.resolve(given) : storeKeyedNoise(store, mechanism, interval),
  });
}

/** A group's new snapshot from its instances' aggregates, stamped `at`. */
function snapshotOf(settings: SnapshotSettings, noise: SnapshotNoise, groupKey: string, instances: readonly InstanceAggregate[], at: Date, previous: CrowdSnapshot | undefined): CrowdSnapshot {
  return computeCrowdSnapshot({
    groupKey,
    instances,
    thresholds: settings.thresholds,
    parameters: settings.parameters,
    random: noise(instances, groupKey, at),
    computedAt: at,
    answeredBefore: previous?.answers ?? false,
  });
}

/**
 * The time of a refresh that read `read`: the test clock's, else the store's at the read; null
 * when the read found no snapshot (its keys are stale at any time) and so carried no time.
 */
function timeOf(settings: SnapshotSettings, read: SnapshotRead): Date | null {
  return settings.now?.() ?? read.readAt;
}

/** Snapshots computed at or before this are stale at `at`, `graceMs` past the interval. */
function staleBeforeAt(settings: SnapshotSettings, at: Date, graceMs: number): Date {
  return new Date(at.getTime() - settings.interval - graceMs);
}

function isStale(snapshot: CrowdSnapshot | undefined, staleBefore: Date): boolean {
  return snapshot === undefined || Date.parse(snapshot.computedAt) <= staleBefore.getTime();
}

function toStored(snapshot: CrowdSnapshot): StoredSnapshot {
  return { groupKey: snapshot.groupKey, computedAt: new Date(snapshot.computedAt), body: JSON.stringify(snapshot) };
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

async function refreshAllWith(store: PredictionStore, settings: SnapshotSettings, signal?: AbortSignal): Promise<RefreshReport> {
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

function parseSnapshots(rows: ReadonlyMap<string, StoredSnapshot>): Map<string, CrowdSnapshot> {
  return new Map([...rows].map(([key, row]) => [key, JSON.parse(row.body) as CrowdSnapshot]));
}
