/** Wire types of the admin API (`/v1/admin/…`). */

export interface InstanceSummary {
  id: string;
  name: string;
  created_at: string;
}

/** A key as listed: never the key itself. */
export interface ApiKeySummary {
  id: string;
  instance_id: string;
  /** `msk_ab12…wxyz` */
  display: string;
  created_at: string;
  revoked_at: string | null;
  expires_at: string | null;
}

/** The answer that carries a key in full, once, when it is issued. */
export interface IssuedApiKey extends ApiKeySummary {
  key: string;
}

export interface CreateInstanceRequest {
  name: string;
}

export interface CreateInstanceResponse {
  instance: InstanceSummary;
  api_key: IssuedApiKey;
}

/** Body of `POST /v1/admin/instances/{id}/keys` (201): the new key, in full this once. */
export interface CreateApiKeyResponse {
  api_key: IssuedApiKey;
}

/** Body of `DELETE /v1/admin/keys/{key_id}` (200): the key as revoked. */
export interface RevokeApiKeyResponse {
  api_key: ApiKeySummary;
}

export interface InstanceListResponse {
  instances: (InstanceSummary & { keys: ApiKeySummary[] })[];
}

export interface InstanceUsageResponse {
  instance_id: string;
  events: number;
  first_event_at: string | null;
  last_event_at: string | null;
}
