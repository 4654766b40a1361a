import { randomBytes } from "node:crypto";
import { DEFAULT_PREDICTION_THRESHOLDS, type PredictionThresholds } from "../prediction-thresholds.js";
import { computeCrowdSnapshot, type CrowdSnapshot } from "./crowd-snapshot.js";
import type { InstanceAggregate } from "../../aggregation/instance-aggregate.js";
import { WEIGHT_UNITS } from "./instance-weights.js";
import { DEFAULT_PRIVACY_PARAMETERS, type PrivacyParameters } from "./privacy-parameters.js";
import { keyedSnapshotNoise } from "./keyed-noise.js";
import type { RandomIntegers } from "./random-integers.js";
import type { PredictionStore, SnapshotRead, StoredSnapshot } from "../../storage/prediction-store.js";

/**
 * A crowd snapshot's settings (interval, thresholds, privacy parameters, clock, noise) and the
 * steps both the predictor's queries and the refresh of every group take with them: compute a
 * group's snapshot, tell whether a stored one is stale, store and read it back.
 */

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
   * @default keyed noise under the store's noise key (made by the first process that asks; tests pass a seeded source, test/helpers/seeded-noise.ts)
   */
  noise?: SnapshotNoise;
}

/**
 * A snapshot's noise source. The server's (keyed noise) reads only the instances' aggregates: the
 * same data, the same noise, whatever the group or time. Tests' seeded sources read the group and
 * time instead, so their answers do not hang on the random instance ids a test makes.
 */
export type SnapshotNoise = (instances: readonly InstanceAggregate[], groupKey: string, computedAt: Date) => RandomIntegers;

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
export interface SnapshotSettings {
  thresholds: PredictionThresholds;
  parameters: PrivacyParameters;
  interval: number;
  queryGrace: number;
  /** A test clock, or null: the store's. */
  now: (() => Date) | null;
  /** The noise source, resolved once its key is read. */
  noise: () => Promise<SnapshotNoise>;
}

export function settingsOf(store: PredictionStore, options: PrivatePredictorOptions): SnapshotSettings {
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
export function snapshotOf(settings: SnapshotSettings, noise: SnapshotNoise, groupKey: string, instances: readonly InstanceAggregate[], at: Date, previous: CrowdSnapshot | undefined): CrowdSnapshot {
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
export function timeOf(settings: SnapshotSettings, read: SnapshotRead): Date | null {
  return settings.now?.() ?? read.readAt;
}

/** Snapshots computed at or before this are stale at `at`, `graceMs` past the interval. */
export function staleBeforeAt(settings: SnapshotSettings, at: Date, graceMs: number): Date {
  return new Date(at.getTime() - settings.interval - graceMs);
}

export function isStale(snapshot: CrowdSnapshot | undefined, staleBefore: Date): boolean {
  return snapshot === undefined || Date.parse(snapshot.computedAt) <= staleBefore.getTime();
}

export function toStored(snapshot: CrowdSnapshot): StoredSnapshot {
  return { groupKey: snapshot.groupKey, computedAt: new Date(snapshot.computedAt), body: JSON.stringify(snapshot) };
}

export function parseSnapshots(rows: ReadonlyMap<string, StoredSnapshot>): Map<string, CrowdSnapshot> {
  return new Map([...rows].map(([key, row]) => [key, JSON.parse(row.body) as CrowdSnapshot]));
}
