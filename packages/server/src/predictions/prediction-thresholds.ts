/** The minimums a crowd answer needs (docs/predictions.md, "Privacy"). */
export interface PredictionThresholds {
  /** Weighted events a group needs (counted with bounded weights, noisy). @default 10 */
  minEvents: number;
  /** Distinct contributing instances a group needs (exact). @default 5 */
  minContributors: number;
}

export const DEFAULT_PREDICTION_THRESHOLDS: Readonly<PredictionThresholds> = Object.freeze({ minEvents: 10, minContributors: 5 });
