import {
  dimensionsAtLevel,
  type Prediction,
  type PredictionQuery,
  type PredictionResponse,
} from "@mosaicstack/telemetry-protocol";
import type { GroupSummary, QuantileBins, Storage } from "../storage/storage.js";
import { confidenceOf } from "./confidence.js";
import { GROUP_LEVELS, groupKey, type GroupLevel } from "../aggregation/group-key.js";
import { GroupTreeReader } from "./group-tree-reader.js";
import { DEFAULT_PREDICTION_THRESHOLDS, judgeGroup, type PredictionThresholds, type Verdict } from "./privacy-rule.js";
import { QUANTILES_ASKED, quantilesFromQuantileBins } from "./quantiles.js";

export type { PredictionThresholds } from "./privacy-rule.js";

/** Answers prediction queries from storage's aggregates. */
export interface Predictor {
  /** `results[i]` answers `queries[i]`. Storage failures reject (StorageUnavailableError: 503). */
  predict(queries: readonly PredictionQuery[]): Promise<PredictionResponse[]>;
}

/**
 * A predictor over `storage`. The reads of one request are batched over all its queries: one
 * read of the summaries of every group any query could fall back to (no bins); then, level by
 * level and only for queries still unanswered, the qualifying subtree under their groups (one
 * read per level below) and the per-instance counts the privacy rule needs (one read); last, one
 * read of the quantiles' bins of the groups that answer, located by the database, so a request
 * receives a few rows per answering group and metric however many bins the sketches hold.
 * Nothing grows with the number of stored events, only with the number of groups and instances.
 * The summaries and the quantiles are two reads: an ingest committed between them can make
 * sample_size lag the quantiles by that commit, which no answer's meaning depends on.
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
      const groups = await storage.readGroupSummaries([...keys]);

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
      const answering = [...new Set(answers.flatMap((answer) => (answer === undefined ? [] : [answer.group.groupKey])))];
      const bins = answering.length === 0 ? new Map<string, QuantileBins>() : await storage.readQuantileBins(answering, QUANTILES_ASKED);
      return queries.map((query, index) => respond(query, answers[index], bins));
    },
  };
}

interface Answer {
  level: GroupLevel;
  group: GroupSummary;
}

/** The answer of `query` at its first answerable level, or the no-data answer. */
function respond(query: PredictionQuery, answer: Answer | undefined, bins: ReadonlyMap<string, QuantileBins>): PredictionResponse {
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
    prediction: predictionOf(group, bins.get(group.groupKey)),
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

function predictionOf(group: GroupSummary, bins: QuantileBins | undefined): Prediction {
  return {
    input_tokens: quantilesFromQuantileBins(bins?.input_tokens),
    output_tokens: quantilesFromQuantileBins(bins?.output_tokens),
    cost_usd_micros: quantilesFromQuantileBins(bins?.cost_usd_micros),
    duration_ms: quantilesFromQuantileBins(bins?.duration_ms),
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
