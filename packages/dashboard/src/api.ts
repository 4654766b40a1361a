import type { PredictionBatchResponse, PredictionQuery } from "@mosaicstack/telemetry-protocol";
import type { Credential } from "./session.js";
import type {
  CreateApiKeyResponse,
  CreateInstanceResponse,
  Health,
  InstanceListResponse,
  InstanceUsageResponse,
  RevokeApiKeyResponse,
  SeriesResponse,
  TopResponse,
} from "./api-types.js";

/** An answer other than 2xx: the API's error code and message (docs/api.md), or a network failure. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = "ApiError";
  }

  /** The key or token was refused: the caller signs out. */
  get refused(): boolean {
    return this.status === 401;
  }
}

/** What a person reads for an error. */
export function describeError(error: unknown): string {
  if (error instanceof ApiError) {
    if (error.status === 401) return "This key or token was refused: it is wrong, revoked or expired. Sign in again.";
    if (error.status === 429) return "Too many requests for now: wait a minute and try again.";
    if (error.status === 0) return "The server did not answer. Is it running?";
    return `${error.message} (${error.code})`;
  }
  return error instanceof Error ? error.message : String(error);
}

async function call<T>(credential: Credential | null, method: string, path: string, body?: unknown): Promise<T> {
  const headers: Record<string, string> = { accept: "application/json" };
  if (credential !== null) headers.authorization = `Bearer ${credential.token}`;
  if (body !== undefined) headers["content-type"] = "application/json";
  let response: Response;
  try {
    response = await fetch(path, { method, headers, body: body === undefined ? null : JSON.stringify(body), credentials: "omit", cache: "no-store" });
  } catch (cause) {
    throw new ApiError(0, "network_error", cause instanceof Error ? cause.message : "network error");
  }
  const text = await response.text();
  let parsed: unknown = null;
  try {
    parsed = text === "" ? null : JSON.parse(text);
  } catch {
    parsed = null;
  }
  if (!response.ok) {
    const error = (parsed as { error?: { code?: string; message?: string } } | null)?.error;
    throw new ApiError(response.status, error?.code ?? "http_error", error?.message ?? `HTTP ${response.status}`);
  }
  return parsed as T;
}

export interface RangeQuery {
  from: string;
  to: string;
}

function query(params: Record<string, string | null | undefined>): string {
  const search = new URLSearchParams();
  for (const [name, value] of Object.entries(params)) if (value !== null && value !== undefined && value !== "") search.set(name, value);
  return search.toString();
}

/** The usage reads: an API key's own instance, or (admin token) one instance or all. */
export function usagePath(credential: Credential, what: "timeseries" | "top", params: Record<string, string | null | undefined>, instanceId: string | null): string {
  const admin = credential.kind === "admin";
  return `/v1/${admin ? "admin/" : ""}usage/${what}?${query({ ...params, instance_id: admin ? instanceId : null })}`;
}

export const api = {
  timeseries(credential: Credential, range: RangeQuery, bucket: "hour" | "day", groupBy: string | null, instanceId: string | null = null): Promise<SeriesResponse> {
    return call(credential, "GET", usagePath(credential, "timeseries", { ...range, bucket, group_by: groupBy }, instanceId));
  },
  top(credential: Credential, range: RangeQuery, limit: number, instanceId: string | null = null): Promise<TopResponse> {
    return call(credential, "GET", usagePath(credential, "top", { ...range, limit: String(limit) }, instanceId));
  },
  predict(credential: Credential, queries: PredictionQuery[]): Promise<PredictionBatchResponse> {
    return call(credential, "POST", "/v1/predictions/batch", { queries });
  },
  instances(credential: Credential): Promise<InstanceListResponse> {
    return call(credential, "GET", "/v1/admin/instances");
  },
  instanceUsage(credential: Credential, instanceId: string): Promise<InstanceUsageResponse> {
    return call(credential, "GET", `/v1/admin/instances/${encodeURIComponent(instanceId)}/usage`);
  },
  createInstance(credential: Credential, name: string): Promise<CreateInstanceResponse> {
    return call(credential, "POST", "/v1/admin/instances", { name });
  },
  createKey(credential: Credential, instanceId: string): Promise<CreateApiKeyResponse> {
    return call(credential, "POST", `/v1/admin/instances/${encodeURIComponent(instanceId)}/keys`, {});
  },
  revokeKey(credential: Credential, keyId: string): Promise<RevokeApiKeyResponse> {
    return call(credential, "DELETE", `/v1/admin/keys/${encodeURIComponent(keyId)}`);
  },
  async health(): Promise<Health> {
    const live = await call<{ status: string }>(null, "GET", "/healthz").then((body) => body.status, (error: unknown) => `down (${describeError(error)})`);
    const ready = await call<{ status: string; storage: string; redis: string }>(null, "GET", "/readyz").catch(() => null);
    return { live, storage: ready?.storage ?? "down", redis: ready?.redis ?? "unknown" };
  },
};
