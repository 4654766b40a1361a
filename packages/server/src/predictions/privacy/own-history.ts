import type { Prediction } from "@mosaicstack/telemetry-protocol";
import { quantilesFromBins } from "../quantiles.js";
import type { InstanceAggregate } from "../../aggregation/instance-aggregate.js";

/**
 * An instance's own-history prediction: its own events in the group, exact and current, with no
 * threshold and no noise (they are its own data). Quantiles are the sketch's (within 1 %);
 * correction factors are its sums' ratio (1 when it never estimated).
 */
export function ownPrediction(own: InstanceAggregate): Prediction {
  const ratio = (actual: number, estimated: number): number => (estimated > 0 ? actual / estimated : 1);
  return {
    input_tokens: quantilesFromBins(own.bins.input_tokens),
    output_tokens: quantilesFromBins(own.bins.output_tokens),
    cost_usd_micros: quantilesFromBins(own.bins.cost_usd_micros),
    duration_ms: quantilesFromBins(own.bins.duration_ms),
    correction_factors: {
      input: ratio(own.sumActualInputTokens, own.sumEstimatedInputTokens),
      output: ratio(own.sumActualOutputTokens, own.sumEstimatedOutputTokens),
    },
    quality: {
      gate_pass_rate: own.events > 0 ? own.gatePassed / own.events : 0,
      success_rate: own.events > 0 ? own.successes / own.events : 0,
    },
  };
}
