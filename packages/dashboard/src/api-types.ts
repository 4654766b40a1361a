/**
 * The usage and admin answers as the dashboard reads them (docs/api.md). The figures and the
 * admin API's bodies come from the protocol package, which the server builds its answers with
 * (type-only imports: nothing of it enters the bundle); the usage reads' envelopes and the
 * health summary are written out here, and the browser tests check them against the live API.
 */
import type { TopEvent, UsageFigures, UsageSeriesPoint as SeriesPoint } from "@mosaicstack/telemetry-protocol";

export type { SeriesPoint, TopEvent, UsageFigures };
export type {
  ApiKeySummary,
  CreateApiKeyResponse,
  CreateInstanceResponse,
  EstimateFigures,
  InstanceListResponse,
  InstanceUsageResponse,
  IssuedApiKey,
  RevokeApiKeyResponse,
} from "@mosaicstack/telemetry-protocol";

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

/** What the operator view shows of /healthz and /readyz together (not an API body). */
export interface Health {
  live: string;
  storage: string;
  redis: string;
}
