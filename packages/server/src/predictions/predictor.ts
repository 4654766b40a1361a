import {
  dimensionsAtLevel,
  type Prediction,
  type PredictionQuery,
  type PredictionResponse,
} from "@mosaicstack/telemetry-protocol";
import type { GroupAggregate, Storage } from "../storage/storage.js";
import { confidenceOf } from "./confidence.js";
import { GROUP_LEVELS, groupKey, type GroupLevel } from "./group-key.js";
import { GroupTreeReader } from "./group-tree-reader.js";
import { DEFAULT_PREDICTION_THRESHOLDS, judgeGroup, type PredictionThresholds, type Verdict } from "./privacy-rule.js";
import { quantilesFromBins } from "./quantiles.js";

export type { PredictionThresholds } from "./privacy-rule.js";

/** Answers prediction queries from storage's aggregates. */
export interface Predictor {
  /** `results[i]` answers `queries[i]`. Storage failures reject (StorageUnavailableError: 503). */
  predict(queries: readonly PredictionQuery[]): Promise<PredictionResponse[]>;
}

/**
 * A predictor over `storage`. The reads of one request are batched over all its queries: one
 * read of every group any query could fall back to (with bins); then, level by level and only
 * for queries still unanswered, the qualifying subtree under their groups (one read per level
 * below) and the per-instance counts the privacy rule needs (one read). Nothing grows with the
 * number of stored events, only with the number of groups and instances read.
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
      const keys = new Set<string>();
      for (const query of queries) for (const level of GROUP_LEVELS) keys.add(groupKey(query, level));
      const groups = await storage.readGroups([...keys]);

      const tree = new GroupTreeReader(storage, limits);
      const verdicts = new Map<string, Verdict>();
      const answers: (Answer | undefined)[] = queries.map(() => undefined);
      for (const level of GROUP_LEVELS) {
        const pending = queries.flatMap((query, index) => (answers[index] === undefined ? [{ index, group: groups.get(groupKey(query, level)) }] : []));
        const roots = [...new Set(pending.flatMap(({ group }) => (group === undefined ? [] : [group])))];
        if (roots.length === 0) continue;
        await tree.load(roots);
        for (const { index, group } of pending) {
          if (group !== undefined && judgeGroup(group, tree, limits, verdicts).answerable) answers[index] = { level, group };
        }
      }
      return queries.map((query, index) => respond(query, answers[index]));
    },
  };
}

interface Answer {
  level: GroupLevel;
  group: GroupAggregate;
}

/** The answer of `query` at its first answerable level, or the no-data answer. */
function respond(query: PredictionQuery, answer: Answer | undefined): PredictionResponse {
  const echo: PredictionQuery = { task_type: query.task_type, model: query.model, provider: query.provider, complexity: query.complexity };
  if (answer === undefined) {
    return {
      query: echo,
      prediction: null,
      metadata: { sample_size: 0, contributors: 0, fallback_level: -1, dimensions: [], confidence: "none", last_updated: null },
    };
  }
  const { level, group } = answer;
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
