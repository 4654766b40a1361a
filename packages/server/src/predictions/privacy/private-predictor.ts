import {
  dimensionsAtLevel,
  type PredictionMetadata,
  type PredictionQuery,
  type PredictionResponse,
  type PredictionSource,
} from "@mosaicstack/telemetry-protocol";
import { confidenceOf } from "../confidence.js";
import { GROUP_LEVELS, groupKey, type GroupLevel } from "../../aggregation/group-key.js";
import { DEFAULT_PREDICTION_THRESHOLDS, type PredictionThresholds } from "../prediction-thresholds.js";
import { InstanceAggregateFolder } from "./aggregates-from-events.js";
import { computeCrowdSnapshot, type CrowdSnapshot } from "./crowd-snapshot.js";
import type { InstanceAggregate } from "./instance-aggregate.js";
import { ownPrediction } from "./own-history.js";
import { DEFAULT_PRIVACY_PARAMETERS, type PrivacyParameters } from "./privacy-parameters.js";
import { cryptoRandomIntegers, seededRandomIntegers, type RandomIntegers } from "./random-integers.js";
import type { GroupDimensions, PredictionStore, StoredSnapshot } from "../../storage/prediction-store.js";

/** How often a group's crowd snapshot may be recomputed. @default 1 hour */
export const DEFAULT_SNAPSHOT_INTERVAL_MS = 3_600_000;

export interface PrivatePredictorOptions {
  /** @default { minEvents: 10, minContributors: 5 } */
  thresholds?: PredictionThresholds;
  /** @default DEFAULT_PRIVACY_PARAMETERS (ε = 1/2 in small groups) */
  parameters?: PrivacyParameters;
  /** @default DEFAULT_SNAPSHOT_INTERVAL_MS */
  snapshotIntervalMs?: number;
  /** @default () => new Date() */
  now?: () => Date;
  /** The noise source of one snapshot. @default crypto (tests pass seededSnapshotNoise(seed)) */
  noise?: (groupKey: string, computedAt: Date) => RandomIntegers;
}

/** Who asks: own-history answers are read for this instance only. */
export interface Asker {
  instanceId: string;
}

export interface PrivatePredictor {
  /** `results[i]` answers `queries[i]`; without an asker there is no own history to answer from. */
  predict(queries: readonly PredictionQuery[], asker?: Asker): Promise<PredictionResponse[]>;
}

/** A deterministic noise source per (group, snapshot time) from one seed: same seed, same answers, on every engine. */
export function seededSnapshotNoise(seed: string): (groupKey: string, computedAt: Date) => RandomIntegers {
  return (key, at) => seededRandomIntegers(`${seed}|${key}|${at.toISOString()}`);
}

interface Answer {
  level: GroupLevel;
  source: PredictionSource;
  snapshot?: CrowdSnapshot;
  own?: InstanceAggregate;
}

/**
 * Predictions that keep the privacy promise (docs/predictions.md, "Privacy"): crowd answers come
 * from per-group snapshots, recomputed at most once per interval from every instance's events
 * with bounded weights and noise, stored so every server process serves the same one; the asking
 * instance's own history answers exactly where no crowd level does, or when asked for.
 */
export function createPrivatePredictor(store: PredictionStore, options: PrivatePredictorOptions = {}): PrivatePredictor {
  const thresholds = Object.freeze({ ...(options.thresholds ?? DEFAULT_PREDICTION_THRESHOLDS) });
  const parameters = options.parameters ?? DEFAULT_PRIVACY_PARAMETERS;
  const interval = options.snapshotIntervalMs ?? DEFAULT_SNAPSHOT_INTERVAL_MS;
  const now = options.now ?? (() => new Date());
  const noise = options.noise ?? (() => cryptoRandomIntegers());

  /**
   * Refreshes under way in this process, by group key: a query that finds a group stale while
   * another query is already recomputing it waits for that one instead of reading every event
   * again (across processes the store's claim in saveSnapshots keeps one snapshot per interval).
   */
  const inFlight = new Map<string, Promise<Map<string, CrowdSnapshot>>>();

  /** The current snapshots of `groups`: stored ones, refreshes under way, and a refresh of the rest. */
  async function snapshotsOf(groups: ReadonlyMap<string, GroupDimensions>): Promise<Map<string, CrowdSnapshot>> {
    const running = [...groups.keys()].flatMap((key) => inFlight.get(key) ?? []);
    const waiting = [...new Set(running)];
    const own = new Map([...groups].filter(([key]) => !inFlight.has(key)));
    const mine = own.size === 0 ? Promise.resolve(new Map<string, CrowdSnapshot>()) : refresh(own);
    const ownKeys = [...own.keys()];
    for (const key of ownKeys) inFlight.set(key, mine);
    try {
      const result = new Map<string, CrowdSnapshot>();
      for (const part of await Promise.all([...waiting, mine])) for (const [key, snapshot] of part) if (groups.has(key)) result.set(key, snapshot);
      return result;
    } finally {
      for (const key of ownKeys) if (inFlight.get(key) === mine) inFlight.delete(key);
    }
  }

  /** Reads `groups`' stored snapshots and recomputes (and stores) the stale ones. */
  async function refresh(groups: ReadonlyMap<string, GroupDimensions>): Promise<Map<string, CrowdSnapshot>> {
    const keys = [...groups.keys()];
    const stored = parseSnapshots(await store.readSnapshots(keys));
    const at = now();
    const staleBefore = new Date(at.getTime() - interval);
    const stale = keys.filter((key) => {
      const known = stored.get(key);
      return known === undefined || Date.parse(known.computedAt) <= staleBefore.getTime();
    });
    if (stale.length === 0) return stored;
    const folder = new InstanceAggregateFolder(stale);
    await store.visitGroupEvents(
      stale.map((key) => groups.get(key) as GroupDimensions),
      (row) => folder.add(row),
    );
    const aggregates = folder.result();
    const fresh = stale.flatMap((key) => {
      const instances = aggregates.get(key);
      if (instances === undefined) return [];
      return [
        computeCrowdSnapshot({
          groupKey: key,
          instances,
          thresholds,
          parameters,
          random: noise(key, at),
          computedAt: at,
          answeredBefore: stored.get(key)?.answers ?? false,
        }),
      ];
    });
    if (fresh.length === 0) return stored;
    const saved = await store.saveSnapshots(
      fresh.map((snapshot) => ({ groupKey: snapshot.groupKey, computedAt: new Date(snapshot.computedAt), body: JSON.stringify(snapshot) })),
      staleBefore,
    );
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
        const snapshots = await snapshotsOf(new Map(pending.map(({ query, key }) => [key, dimensionsOf(query, level)])));
        for (const { index, key } of pending) {
          const snapshot = snapshots.get(key);
          if (snapshot?.answers === true) answers[index] = { level, source: "crowd", snapshot };
        }
      }
      if (asker !== undefined) {
        for (const level of GROUP_LEVELS) {
          const pending = queries.flatMap((query, index) => (answers[index] === undefined && query.source !== "crowd" ? [{ query, index, key: groupKey(query, level) }] : []));
          if (pending.length === 0) break;
          const dimensions = new Map(pending.map(({ query, key }) => [key, dimensionsOf(query, level)]));
          const folder = new InstanceAggregateFolder(dimensions.keys());
          await store.visitOwnEvents(asker.instanceId, [...dimensions.values()], (row) => folder.add(row));
          const own = folder.result();
          for (const { index, key } of pending) {
            const mine = own.get(key)?.find((aggregate) => aggregate.instanceId === asker.instanceId);
            if (mine !== undefined && mine.events > 0) answers[index] = { level, source: "own", own: mine };
          }
        }
      }
      return queries.map((query, index) => respond(query, answers[index]));
    },
  };
}

function parseSnapshots(rows: ReadonlyMap<string, StoredSnapshot>): Map<string, CrowdSnapshot> {
  return new Map([...rows].map(([key, row]) => [key, JSON.parse(row.body) as CrowdSnapshot]));
}

function dimensionsOf(query: PredictionQuery, level: GroupLevel): GroupDimensions {
  return { provider: query.provider, model: query.model, task_type: query.task_type, complexity: query.complexity, level };
}

const NO_ANSWER: PredictionMetadata = Object.freeze({ sample_size: 0, contributors: 0, fallback_level: -1, dimensions: [], confidence: "none", last_updated: null }) as PredictionMetadata;

function respond(query: PredictionQuery, answer: Answer | undefined): PredictionResponse {
  const echo: PredictionQuery = { task_type: query.task_type, model: query.model, provider: query.provider, complexity: query.complexity };
  if (query.source !== undefined) echo.source = query.source;
  if (answer === undefined) return { query: echo, prediction: null, metadata: { ...NO_ANSWER, dimensions: [] } };
  const { level } = answer;
  if (answer.snapshot !== undefined) {
    const { snapshot } = answer;
    return {
      query: echo,
      prediction: snapshot.prediction,
      metadata: {
        sample_size: snapshot.sampleSize,
        contributors: snapshot.contributors,
        fallback_level: level,
        dimensions: dimensionsAtLevel(level),
        confidence: confidenceOf(level, snapshot.sampleSize, snapshot.contributors),
        last_updated: snapshot.computedAt,
        source: "crowd",
      },
    };
  }
  const own = answer.own as InstanceAggregate;
  return {
    query: echo,
    prediction: ownPrediction(own),
    metadata: {
      sample_size: own.events,
      contributors: 1,
      fallback_level: level,
      dimensions: dimensionsAtLevel(level),
      confidence: confidenceOf(level, own.events, 1),
      last_updated: own.lastUpdated?.toISOString() ?? null,
      source: "own",
    },
  };
}
