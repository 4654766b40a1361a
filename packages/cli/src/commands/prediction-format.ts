import type { PredictionQuery, PredictionResponse } from "@mosaicstack/telemetry-protocol";

export function formatUsd(micros: number): string {
  const usd = micros / 1_000_000;
  return usd >= 100 ? `$${usd.toFixed(0)}` : usd >= 0.995 ? `$${usd.toFixed(2)}` : `$${usd.toFixed(3)}`;
}

export function formatCount(n: number): string {
  return n >= 1_000_000 ? `${(n / 1_000_000).toFixed(1)}M` : n >= 10_000 ? `${Math.round(n / 1000)}k` : String(Math.round(n));
}

/** The one line SessionStart adds to the session's context. */
export function predictionLine(query: PredictionQuery, answer: PredictionResponse): string {
  const p = answer.prediction;
  if (p === null) return "";
  const m = answer.metadata;
  return (
    `Mosaic Telemetry: similar ${query.task_type}/${query.complexity} tasks on ${query.model} cost ` +
    `median ${formatUsd(p.cost_usd_micros.median)}, p90 ${formatUsd(p.cost_usd_micros.p90)} ` +
    `(confidence ${m.confidence}, ${m.sample_size} tasks, ${m.contributors} contributors).`
  );
}
