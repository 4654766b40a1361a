/**
 * The usage and admin answers as the dashboard reads them (docs/api.md). Written out here, not
 * imported from the server package: the dashboard is a browser bundle and must not pull in
 * server code; the browser tests check these against the live API.
 */

export interface EstimateFigures {
  events: number;
  without_estimate: number;
  estimated_input_tokens: number;
  estimated_output_tokens: number;
  estimated_cost_usd_micros: number;
  actual_input_tokens: number;
  actual_output_tokens: number;
  actual_cost_usd_micros: number;
  correction_factors: { input: number | null; output: number | null; cost: number | null };
  ratio_histogram: number[];
}

export interface UsageFigures {
  events: number;
  input_tokens: number;
  output_tokens: number;
  cost_usd_micros: number;
  duration_ms: number;
  gate_passed: number;
  successes: number;
  success_rate: number | null;
  gate_pass_rate: number | null;
  cost_per_success_usd_micros: number | null;
  estimates: EstimateFigures;
}

export interface SeriesPoint extends UsageFigures {
  start: string;
  group: string | null;
}

export interface SeriesResponse {
  instance_id: string | null;
  from: string;
  to: string;
  bucket: "hour" | "day";
  group_by: string | null;
  ratio_buckets: { from: number | null; to: number | null }[];
  series: SeriesPoint[];
  totals: UsageFigures;
}

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

export interface TopResponse {
  instance_id: string | null;
  from: string;
  to: string;
  limit: number;
  events: TopEvent[];
}

export interface KeySummary {
  id: string;
  instance_id: string;
  display: string;
  created_at: string;
  revoked_at: string | null;
  expires_at: string | null;
}

export interface IssuedKey extends KeySummary {
  key: string;
}

export interface InstanceList {
  instances: { id: string; name: string; created_at: string; keys: KeySummary[] }[];
}

export interface InstanceUsage {
  instance_id: string;
  events: number;
  first_event_at: string | null;
  last_event_at: string | null;
}

export interface Health {
  live: string;
  storage: string;
  redis: string;
}
