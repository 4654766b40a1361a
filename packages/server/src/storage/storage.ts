import type { TaskCompletionEvent } from "@mosaicstack/telemetry-protocol";
import type { UsageSums } from "../aggregation/usage-rules.js";
import type { RollupDimension } from "./usage-rollup.js";
import type { PredictionStore } from "./prediction-store.js";

/**
 * The one storage interface. Each engine lives in a folder of its own (sqlite/, postgres/) with
 * matching file names, and one contract suite (test/storage/) holds every engine to it.
 * Engines take their driver through a small type of the few methods they call; only the
 * factory (open-storage.ts) imports a driver.
 */

export interface InstanceRecord {
  id: string;
  name: string;
  createdAt: Date;
}

/** An API key as stored: only its SHA-256 hash, never the key. */
export interface ApiKeyRecord {
  id: string;
  instanceId: string;
  /** Hex SHA-256 of the full key. */
  hash: string;
  /** `msk_ab12…wxyz` */
  display: string;
  createdAt: Date;
  revokedAt: Date | null;
  expiresAt: Date | null;
}

export type NewApiKey = Omit<ApiKeyRecord, "revokedAt">;

/** What became of one event handed to `ingestEvents`. */
export type IngestStatus = "accepted" | "duplicate";

/**
 * One event to store: the validated, canonical event (ids in lower case: ingest/canonical-event.ts).
 * Each engine stores its known fields only, in a form of its own (PostgreSQL: a JSON object,
 * event-json.ts; SQLite: a compact array, sqlite/compact-event.ts).
 */
export interface EventToStore {
  event: TaskCompletionEvent;
  /**
   * The event's text as sent when it is provably the same JSON value as the event's known fields
   * (ingest/reusable-sent-text.ts), else null: an engine storing JSON objects may store it as it is.
   */
  sentText: string | null;
}

export interface InstanceUsage {
  events: number;
  firstEventAt: Date | null;
  lastEventAt: Date | null;
}

/** What a usage time series reads: one instance (or all: null), a range of whole hours [from, to). */
export interface UsageSeriesQuery {
  instanceId: string | null;
  from: Date;
  to: Date;
  bucket: "hour" | "day";
  /** One dimension to split by, or null for one series. */
  groupBy: RollupDimension | null;
}

/** The sums of one bucket (UTC hour or day) and group (null when not grouped). */
export interface UsageSeriesRow extends UsageSums {
  bucketStart: Date;
  group: string | null;
}

/** The costliest events of one instance (or all: null) whose own timestamp lies in [from, to). */
export interface TopEventsQuery {
  instanceId: string | null;
  from: Date;
  to: Date;
  limit: number;
}

/** A stored event as read back: its instance and its stored payload, parsed. */
export interface StoredEvent {
  instanceId: string;
  event: Record<string, unknown>;
}

export interface Storage extends PredictionStore {
  readonly engine: "sqlite" | "postgres";

  /** Applies pending forward-only migrations; safe when several processes start at once. */
  migrate(): Promise<void>;
  /** Resolves when storage answers; rejects with StorageUnavailableError otherwise. */
  ping(): Promise<void>;
  close(): Promise<void>;

  createInstance(instance: InstanceRecord, firstKey: NewApiKey): Promise<void>;
  getInstance(id: string): Promise<InstanceRecord | null>;
  listInstances(): Promise<InstanceRecord[]>;
  insertApiKey(key: NewApiKey): Promise<void>;
  /** Keys of one instance, or of all instances. */
  listApiKeys(instanceId?: string): Promise<ApiKeyRecord[]>;
  findApiKeyByHash(hash: string): Promise<ApiKeyRecord | null>;
  /** Revokes a key; null when no such key. Revoking twice keeps the first time. */
  revokeApiKey(id: string, at: Date): Promise<ApiKeyRecord | null>;

  /**
   * Stores valid events of one instance in one transaction and updates the aggregates of their
   * groups in the same transaction. Dedup is exact on (instance_id, event_id), for all time; a
   * repeated event_id within the call is stored once and its later copies are "duplicate".
   * Resolves only once every accepted event is durable. Statuses answer `events` in order.
   * Each event is stored as its `payload`; the rows it changes come from aggregation's
   * foldAccepted over the events this transaction actually stored.
   */
  ingestEvents(instanceId: string, events: readonly EventToStore[], receivedAt: Date): Promise<IngestStatus[]>;

  usage(instanceId: string): Promise<InstanceUsage>;

  /** Ingest calls waiting for their group commit, for the metrics; absent when the engine has no queue. */
  queueDepth?(): number;
  /**
   * Sums per bucket and group from the usage rollups (kept at ingest, one row per instance, UTC
   * hour of the event's timestamp and dimensions): the read grows with the hours and dimension
   * values in range, not with the events. Rows in no particular order.
   */
  readUsageSeries(query: UsageSeriesQuery): Promise<UsageSeriesRow[]>;
  /**
   * The `limit` events with the highest actual cost in the range, costliest first (ties: the
   * later first). Read through an index on (instance_id, event time, cost): the range's index
   * entries only, then the payloads of the chosen events.
   */
  readTopEvents(query: TopEventsQuery): Promise<StoredEvent[]>;
}

/** Storage cannot be reached or failed for a reason that is not the caller's: HTTP 503. */
export class StorageUnavailableError extends Error {
  override readonly name = "StorageUnavailableError";
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}
