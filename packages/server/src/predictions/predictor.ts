import type { PredictionQuery, PredictionResponse } from "@mosaicstack/telemetry-protocol";
import type { Storage } from "../storage/storage.js";
import { DEFAULT_PREDICTION_THRESHOLDS, type PredictionThresholds } from "./prediction-thresholds.js";
import { DEFAULT_SNAPSHOT_INTERVAL_MS, createPrivatePredictor, type Asker, type PrivatePredictorOptions, type RefreshReport } from "./privacy/private-predictor.js";
import { leaseCheckEveryMs } from "./snapshot-refresher.js";

export type { PredictionThresholds } from "./prediction-thresholds.js";

/** Answers prediction queries: crowd snapshots, else the asking instance's own history. */
export interface Predictor {
  /** `results[i]` answers `queries[i]`. Storage failures reject (StorageUnavailableError: 503). */
  predict(queries: readonly PredictionQuery[], asker?: Asker): Promise<PredictionResponse[]>;
  /** Recomputes every stale group's snapshot (the background refresher's work); absent where there is nothing to refresh. */
  refreshAll?(signal?: AbortSignal): Promise<RefreshReport>;
}

/** The server's prediction settings: the minimums and the snapshot interval (docs/configuration.md). */
export interface PredictionSettings extends PredictionThresholds {
  /** @default 3600000 (1 hour) */
  snapshotIntervalMs?: number;
  /** Whether a background refresher keeps the snapshots fresh (queries then give it a margin). @default false */
  backgroundRefresh?: boolean;
}

/**
 * The predictor the server runs (docs/predictions.md): crowd answers from per-group snapshots
 * stored in the database, recomputed at most once per interval with bounded weights and discrete
 * noise drawn from node:crypto; the asking instance's own events where no crowd level answers.
 * `options` is for tests: a fake clock (`now`) and a seeded noise source (`noise`).
 *
 * @example
 * const predictor = createPredictor(storage, { minEvents: 10, minContributors: 5 });
 * const [result] = await predictor.predict([{ provider: "anthropic", model: "claude-sonnet-4", task_type: "implementation", complexity: "medium" }], { instanceId });
 */
export function createPredictor(
  storage: Storage,
  settings: PredictionSettings = DEFAULT_PREDICTION_THRESHOLDS,
  options: Pick<PrivatePredictorOptions, "now" | "noise" | "parameters"> = {},
): Predictor {
  return createPrivatePredictor(storage, {
    thresholds: { minEvents: settings.minEvents, minContributors: settings.minContributors },
    ...(settings.snapshotIntervalMs !== undefined ? { snapshotIntervalMs: settings.snapshotIntervalMs } : {}),
    // Two checks of the refresher and its pass fit in the margin; past it, a query refreshes.
    ...(settings.backgroundRefresh === true ? { queryGraceMs: 2 * leaseCheckEveryMs(settings.snapshotIntervalMs ?? DEFAULT_SNAPSHOT_INTERVAL_MS) } : {}),
    ...options,
  });
}
