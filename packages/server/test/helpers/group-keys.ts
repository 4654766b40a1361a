import type { TaskCompletionEvent } from "@mosaicstack/telemetry-protocol";
import { GROUP_LEVELS, groupKey } from "../../src/aggregation/group-key.js";

/** The four groups an event counts in, level 0 first: what a test expects ingest to have touched. */
export function groupKeysOfEvent(event: TaskCompletionEvent): string[] {
  return GROUP_LEVELS.map((level) => groupKey(event, level));
}
