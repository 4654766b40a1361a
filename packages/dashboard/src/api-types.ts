/**
 * The usage and admin answers as the dashboard reads them (docs/api.md). The figures and the
 * admin API's bodies come from the protocol package, which the server builds its answers with
 * (type-only imports: nothing of it enters the bundle); only the health summary is the
 * dashboard's own, and the browser tests check the answers against the live API.
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
  UsageSeriesResponse as SeriesResponse,
  UsageTopResponse as TopResponse,
} from "@mosaicstack/telemetry-protocol";

/** What the operator view shows of /healthz and /readyz together (not an API body). */
export interface Health {
  live: string;
  storage: string;
  redis: string;
}
