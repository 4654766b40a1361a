import type { PredictionQuery } from "@mosaicstack/telemetry-protocol";

/**
 * An aggregation group is one prediction level's combination of dimensions. Its key is the JSON
 * array of the dimension values kept at that level, in the order fallback keeps them
 * (provider, model, task_type, complexity): level 0 has four, level 3 has the provider alone.
 * JSON, not a separator, because a model name may contain any character.
 */
export type GroupLevel = 0 | 1 | 2 | 3;
export const GROUP_LEVELS: readonly GroupLevel[] = [0, 1, 2, 3];

type Dimensions = Pick<PredictionQuery, "provider" | "model" | "task_type" | "complexity">;

function dimensionValues(dimensions: Dimensions): string[] {
  return [dimensions.provider, dimensions.model, dimensions.task_type, dimensions.complexity];
}

/** The key of the group that `dimensions` fall in at `level`. */
export function groupKey(dimensions: Dimensions, level: GroupLevel): string {
  return JSON.stringify(dimensionValues(dimensions).slice(0, 4 - level));
}

/** The key of the group one level up (one dimension fewer), or null at level 3. */
export function parentGroupKey(dimensions: Dimensions, level: GroupLevel): string | null {
  return level === 3 ? null : groupKey(dimensions, (level + 1) as GroupLevel);
}
