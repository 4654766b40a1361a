import {
  dimensionsAtLevel,
  type Prediction,
  type PredictionQuery,
  type PredictionResponse,
} from "@mosaicstack/telemetry-protocol";
import type { GroupAggregate, GroupSummary, Storage } from "../storage/storage.js";
import { confidenceOf } from "./confidence.js";
import { GROUP_LEVELS, groupKey } from "./group-key.js";
import { DEFAULT_PREDICTION_THRESHOLDS, isAnswerable, meetsThresholds, type PredictionThresholds } from "./privacy-rule.js";
import { quantilesFromBins } from "./quantiles.js";

export type { PredictionThresholds } from "./privacy-rule.js";

/** Answers prediction queries from storage's aggregates. */
export interface Predictor {
  /** `results[i]` answers `queries[i]`. Storage failures reject (StorageUnavailableError: 503). */
  predict(queries: readonly PredictionQuery[]): Promise<PredictionResponse[]>;
}

/**
 * A predictor over `storage`. One request costs at most three storage reads, whatever the number
 * of queries: the groups of every query at every level (with bins), the children of the groups
 * above level 0 that meet the thresholds, and per-instance counts only where a remainder must be
 * measured. None of it grows with the number of stored events.
 *
 * `now` is accepted for a future freshness rule; answers today depend only on stored data.
 *
 * @example
 * const predictor = createPredictor(storage, { minEvents: 10, minContributors: 5 });
 * const [result] = await predictor.predict([{ provider: "anthropic", model: "claude-sonnet-4", task_type: "implementation", complexity: "medium" }]);
 */
export function createPredictor(
  storage: Storage,
  thresholds: PredictionThresholds = DEFAULT_PREDICTION_THRESHOLDS,
  now: () => Date = () => new Date(),
): Predictor {
  void now;
  const limits: PredictionThresholds = Object.freeze({ minEvents: thresholds.minEvents, minContributors: thresholds.minContributors });
  return {
    async predict(queries) {
      if (queries.length === 0) return [];
      const answerable = await readAnswerableGroups(storage, queries, limits);
      return queries.map((query) => answer(query, answerable));
    },
  };
}

/** Every group any query could fall back to, and which of them may answer. */
async function readAnswerableGroups(
  storage: Storage,
  queries: readonly PredictionQuery[],
  thresholds: PredictionThresholds,
): Promise<Map<string, GroupAggregate>> {
  const keys = new Set<string>();
  for (const query of queries) for (const level of GROUP_LEVELS) keys.add(groupKey(query, level));
  const groups = await storage.readGroups([...keys]);

  // Only groups that meet the thresholds can answer; their children decide the remainder.
  const candidates = [...groups.values()].filter((group) => meetsThresholds(group, thresholds));
  const parents = candidates.filter((group) => group.level > 0);
  const childrenOf = new Map<string, GroupSummary[]>();
  if (parents.length > 0) {
    for (const child of await storage.readChildSummaries(parents.map((group) => group.groupKey))) {
      if (child.parentKey === null) continue;
      const siblings = childrenOf.get(child.parentKey) ?? [];
      siblings.push(child);
      childrenOf.set(child.parentKey, siblings);
    }
  }

  // Per-instance counts only where they matter: a remainder that is neither empty nor all of G.
  const countKeys = new Set<string>();
  for (const parent of parents) {
    const qualifying = (childrenOf.get(parent.groupKey) ?? []).filter((child) => meetsThresholds(child, thresholds));
    const childEvents = qualifying.reduce((sum, child) => sum + child.events, 0);
    if (qualifying.length === 0 || childEvents >= parent.events) continue;
    countKeys.add(parent.groupKey);
    for (const child of qualifying) countKeys.add(child.groupKey);
  }
  const instanceCounts = countKeys.size > 0 ? await storage.readInstanceCounts([...countKeys]) : new Map<string, Map<string, number>>();

  const answerable = new Map<string, GroupAggregate>();
  for (const group of candidates) {
    if (isAnswerable(group, childrenOf.get(group.groupKey) ?? [], instanceCounts, thresholds)) answerable.set(group.groupKey, group);
  }
  return answerable;
}

/** The first answerable level for `query`, or the no-data answer. */
function answer(query: PredictionQuery, answerable: ReadonlyMap<string, GroupAggregate>): PredictionResponse {
  const echo: PredictionQuery = { task_type: query.task_type, model: query.model, provider: query.provider, complexity: query.complexity };
  for (const level of GROUP_LEVELS) {
    const group = answerable.get(groupKey(query, level));
    if (group === undefined) continue;
    return {
      query: echo,
      prediction: predictionOf(group),
      metadata: {
        sample_size: group.events,
        contributors: group.contributors,
        fallback_level: level,
        dimensions: dimensionsAtLevel(level),
        confidence: confidenceOf(level, group.events, group.contributors),
        last_updated: group.lastUpdated?.toISOString() ?? null,
      },
    };
  }
  return {
    query: echo,
    prediction: null,
    metadata: { sample_size: 0, contributors: 0, fallback_level: -1, dimensions: [], confidence: "none", last_updated: null },
  };
}

/** Actual over estimated; 1 (no correction) when nothing was estimated, rather than a division by zero. */
export function correctionFactor(sumActual: number, sumEstimated: number): number {
  return sumEstimated > 0 ? sumActual / sumEstimated : 1;
}

function predictionOf(group: GroupAggregate): Prediction {
  return {
    input_tokens: quantilesFromBins(group.bins.input_tokens),
    output_tokens: quantilesFromBins(group.bins.output_tokens),
    cost_usd_micros: quantilesFromBins(group.bins.cost_usd_micros),
    duration_ms: quantilesFromBins(group.bins.duration_ms),
    correction_factors: {
      input: correctionFactor(group.sumActualInputTokens, group.sumEstimatedInputTokens),
      output: correctionFactor(group.sumActualOutputTokens, group.sumEstimatedOutputTokens),
    },
    quality: {
      gate_pass_rate: group.gatePassed / group.events,
      success_rate: group.successes / group.events,
    },
  };
}
