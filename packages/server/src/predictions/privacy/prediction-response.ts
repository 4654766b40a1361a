import { dimensionsAtLevel, type PredictionMetadata, type PredictionQuery, type PredictionResponse, type PredictionSource } from "@mosaicstack/telemetry-protocol";
import type { GroupLevel } from "../../aggregation/group-key.js";
import type { InstanceAggregate } from "../../aggregation/instance-aggregate.js";
import { confidenceOf } from "../confidence.js";
import type { CrowdSnapshot } from "./crowd-snapshot.js";
import { ownPrediction } from "./own-history.js";

/** What answers one query: a crowd snapshot or the asker's own aggregate, at a fallback level. */
export interface Answer {
  level: GroupLevel;
  source: PredictionSource;
  snapshot?: CrowdSnapshot;
  own?: InstanceAggregate;
}

const NO_ANSWER: PredictionMetadata = Object.freeze({ sample_size: 0, contributors: 0, fallback_level: -1, dimensions: [], confidence: "none", last_updated: null }) as PredictionMetadata;

/** The response to `query`: its echo, the prediction and its metadata (none without an answer). */
export function respond(query: PredictionQuery, answer: Answer | undefined): PredictionResponse {
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
