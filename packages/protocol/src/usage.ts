/**
 * The usage API's answers (GET /v1/usage/timeseries and /v1/usage/top, and their /v1/admin
 * forms), shared by the server that builds them and the dashboard that reads them.
 */

/** The estimate side of some events' figures: only events with an estimate count here. */
export interface EstimateFigures {
  /** Events with an estimate (estimated tokens > 0): the only ones below. */
  events: number;
  /** Events left out of the correction factors for want of an estimate. */
  without_estimate: number;
  estimated_input_tokens: number;
  estimated_output_tokens: number;
  estimated_cost_usd_micros: number;
  actual_input_tokens: number;
  actual_output_tokens: number;
  actual_cost_usd_micros: number;
  /** Actual ÷ estimated over the events with an estimate (above 1: estimates run low). */
  correction_factors: { input: number | null; output: number | null; cost: number | null };
  /** Events per bucket of actual ÷ estimated tokens (input and output together); edges in `ratio_buckets`. */
  ratio_histogram: number[];
}

/** The sums of some events with the figures derived from them, as the API answers. */
export interface UsageFigures {
  events: number;
  input_tokens: number;
  output_tokens: number;
  cost_usd_micros: number;
  duration_ms: number;
  gate_passed: number;
  successes: number;
  /** successes ÷ events. */
  success_rate: number | null;
  /** gate_passed ÷ events. */
  gate_pass_rate: number | null;
  /** All the cost ÷ successful tasks: what one success costs, failures paid included. */
  cost_per_success_usd_micros: number | null;
  estimates: EstimateFigures;
}

export interface UsageSeriesPoint extends UsageFigures {
  /** Start of the UTC hour or day. */
  start: string;
  /**
   * The group_by dimension's value; null when not grouped, or, in a split series, for the groups
   * past the 20 with the most events, summed (`other_groups` says how many).
   */
  group: string | null;
}

/** A histogram bucket's bounds as factors: [from, to), null for unbounded. */
export interface RatioBucketBounds {
  from: number | null;
  to: number | null;
}

/** One of the costliest events, with its dimensions and figures. */
export interface TopEvent {
  instance_id: string;
  event_id: string;
  timestamp: string;
  provider: string;
  model: string;
  task_type: string;
  complexity: string;
  harness: string;
  outcome: string;
  actual_cost_usd_micros: number;
  estimated_cost_usd_micros: number;
  actual_input_tokens: number;
  actual_output_tokens: number;
  estimated_input_tokens: number;
  estimated_output_tokens: number;
  task_duration_ms: number;
  quality_gate_passed: boolean;
}

/** Body of a usage time-series read (`GET /v1/usage/series`, `GET /v1/admin/usage/series`). */
export interface UsageSeriesResponse {
  instance_id: string | null;
  from: string;
  to: string;
  bucket: "hour" | "day";
  group_by: string | null;
  /** Groups summed into the points whose group is null (a split series keeps its 20 biggest); 0 otherwise. */
  other_groups: number;
  ratio_buckets: RatioBucketBounds[];
  series: UsageSeriesPoint[];
  totals: UsageFigures;
}

/** Body of a costliest-tasks read (`GET /v1/usage/top`, `GET /v1/admin/usage/top`). */
export interface UsageTopResponse {
  instance_id: string | null;
  from: string;
  to: string;
  limit: number;
  events: TopEvent[];
}
