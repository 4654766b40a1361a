import type { TaskCompletionEvent } from "@mosaicstack/telemetry-protocol";

/** The metrics kept as DDSketch bins (sketch-mapping.ts), one sketch per group and metric. */
export type SketchMetric = "input_tokens" | "output_tokens" | "cost_usd_micros" | "duration_ms";
export const SKETCH_METRICS: readonly SketchMetric[] = ["input_tokens", "output_tokens", "cost_usd_micros", "duration_ms"];

/** The value an event adds to each sketch: what the task actually took. */
export function sketchValue(event: TaskCompletionEvent, metric: SketchMetric): number {
  switch (metric) {
    case "input_tokens":
      return event.actual_input_tokens;
    case "output_tokens":
      return event.actual_output_tokens;
    case "cost_usd_micros":
      return event.actual_cost_usd_micros;
    case "duration_ms":
      return event.task_duration_ms;
  }
}
