/**
 * The usage and admin answers as the dashboard reads them (docs/api.md). The usage figures come
 * from the protocol package, which the server builds its answers with (type-only imports: nothing
 * of it enters the bundle); the rest is written out here, and the browser tests check them
 * against the live API.
 */
import type { EstimateFigures, TopEvent, UsageFigures, UsageSeriesPoint as SeriesPoint } from "@mosaicstack/telemetry-protocol";

export type { EstimateFigures, SeriesPoint, TopEvent, UsageFigures };

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
