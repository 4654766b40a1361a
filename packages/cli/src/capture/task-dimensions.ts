import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { Complexity, TaskType, enumValues } from "@mosaicstack/telemetry-protocol";

/** The project file that sets a project's dimensions: `{"task_type": "...", "complexity": "...", "model": "..."}`. */
export const PROJECT_FILE = ".mosaic-telemetry.json";

export interface TaskDimensions {
  task_type: TaskType;
  complexity: Complexity;
  /** A model to ask predictions for when the harness does not say (SessionStart). */
  model: string | null;
}

const TASK_TYPES: readonly string[] = enumValues(TaskType);
const COMPLEXITIES: readonly string[] = enumValues(Complexity);

/** The nearest project file from `cwd` up to the root, parsed, or {} (unreadable or invalid: ignored). */
function projectFile(cwd: string | null): Record<string, unknown> {
  if (cwd === null) return {};
  let dir = cwd;
  for (;;) {
    try {
      const parsed = JSON.parse(readFileSync(join(dir, PROJECT_FILE), "utf8")) as unknown;
      return typeof parsed === "object" && parsed !== null ? (parsed as Record<string, unknown>) : {};
    } catch {
      // absent or not JSON: look further up
    }
    const parent = dirname(dir);
    if (parent === dir) return {};
    dir = parent;
  }
}

/**
 * `task_type` and `complexity` for a session: `MOSAIC_TASK_TYPE` / `MOSAIC_COMPLEXITY`, else the
 * project file, else `unknown` / `medium`. A value outside the enumeration is ignored.
 */
export function taskDimensions(cwd: string | null, env: NodeJS.ProcessEnv): TaskDimensions {
  const file = projectFile(cwd);
  const pick = (envValue: string | undefined, fileValue: unknown, allowed: readonly string[], fallback: string): string => {
    if (envValue !== undefined && allowed.includes(envValue)) return envValue;
    if (typeof fileValue === "string" && allowed.includes(fileValue)) return fileValue;
    return fallback;
  };
  return {
    task_type: pick(env["MOSAIC_TASK_TYPE"], file["task_type"], TASK_TYPES, "unknown") as TaskType,
    complexity: pick(env["MOSAIC_COMPLEXITY"], file["complexity"], COMPLEXITIES, "medium") as Complexity,
    model: typeof env["MOSAIC_MODEL"] === "string" && env["MOSAIC_MODEL"] !== "" ? env["MOSAIC_MODEL"] : typeof file["model"] === "string" ? file["model"] : null,
  };
}
