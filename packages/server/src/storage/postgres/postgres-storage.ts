import type { TaskCompletionEvent } from "@mosaicstack/telemetry-protocol";
import { firstOccurrences } from "../first-occurrences.js";
import { runMigrationsAsync, type Migration, type MigrationResult } from "../migration.js";
import {
  StorageUnavailableError,
  type ApiKeyRecord,
  type EventToStore,
  type IngestStatus,
  type InstanceRecord,
  type InstanceUsage,
  type NewApiKey,
  type Storage,
  type StoredEvent,
  type TopEventsQuery,
  type UsageSeriesQuery,
  type UsageSeriesRow,
} from "../storage.js";
import { GroupCommit } from "./group-commit.js";
import type { PgPool } from "./postgres-driver.js";
import { ingestTogether, type PostgresIngestJob } from "./postgres-ingest.js";
import { writeVersion6Aggregates } from "./postgres-version6-aggregates.js";
import * as keys from "./postgres-keys.js";
import { POSTGRES_MIGRATIONS } from "./postgres-migrations.js";
import * as reads from "./postgres-reads.js";
import { num } from "./postgres-rows.js";
import { MIGRATION_LOCK_ID, POSTGRES_DEFAULTS, type PostgresSettings } from "./postgres-settings.js";
import { PostgresConnection } from "./postgres-transaction.js";
import type { InstanceAggregate } from "../../aggregation/instance-aggregate.js";
import type { GroupInstanceAggregates, SnapshotRead, StoredSnapshot } from "../prediction-store.js";
import { PostgresPredictionStore } from "./postgres-prediction-store.js";

/**
 * The scale-out engine: a pg Pool shared by the process; several processes may ingest at once.
 * Ingest is one transaction of a fixed handful of statements, whatever the batch size; calls that
 * arrive while one runs share the next (group commit), each answered after that commit. Its parts
 * mirror the SQLite engine's: settings, rows, sql, transaction, keys, reads, ingest, migrations.
 */
export class PostgresStorage implements Storage {
  readonly engine = "postgres" as const;
  readonly #c: PostgresConnection;
  readonly #migrations: readonly Migration[];
  readonly #ingestQueue: GroupCommit<PostgresIngestJob, boolean[]>;
  readonly #predictions: PostgresPredictionStore;

  constructor(pool: PgPool, settings: PostgresSettings = {}, migrations: readonly Migration[] = POSTGRES_MIGRATIONS) {
    this.#c = new PostgresConnection(pool);
    this.#predictions = new PostgresPredictionStore((text, values) => this.#c.query(text, values));
    this.#migrations = migrations;
    const maxWeight = settings.maxEventsPerTransaction ?? POSTGRES_DEFAULTS.maxEventsPerTransaction;
    this.#ingestQueue = new GroupCommit({
      runTogether: (jobs) => {
        settings.onIngestTransaction?.(jobs.length);
        return this.#c.transaction((client) => ingestTogether(client, jobs));
      },
      // An outage fails every call of the group alike; anything else may be one call's data.
      retryAlone: (error) => !(error instanceof StorageUnavailableError),
      weight: (job) => job.events.length,
      maxWeight,
      maxWaitMs: settings.maxQueueWaitMs ?? POSTGRES_DEFAULTS.maxQueueWaitMs,
      maxQueuedWeight: maxWeight * POSTGRES_DEFAULTS.queuedTransactions,
    });
  }

  /**
   * Applies pending migrations under a transaction-scoped advisory lock, released by COMMIT even
   * if the process dies mid-way (and then nothing was applied).
   */
  async applyMigrations(): Promise<MigrationResult> {
    return this.#c.transaction(async (pooled) => {
      const query = (text: string, values?: unknown[]) => pooled.query({ text, values, query_timeout: POSTGRES_DEFAULTS.migrationQueryTimeoutMs });
      return runMigrationsAsync(
        {
          lock: async () => {
            await query("SELECT pg_advisory_xact_lock($1)", [MIGRATION_LOCK_ID]);
          },
          createVersionTable: async () => {
            await query("CREATE TABLE IF NOT EXISTS schema_migrations (version integer PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())");
          },
          currentVersion: async () => {
            const version = (await query("SELECT MAX(version) AS version FROM schema_migrations")).rows[0]?.version;
            return version === null || version === undefined ? 0 : num(version);
          },
          exec: async (statement) => {
            await query(statement);
          },
          record: async (migration) => {
            await query("INSERT INTO schema_migrations (version, name) VALUES ($1, $2)", [migration.version, migration.name]);
          },
          readEvents: async (after, limit) => {
            const { rows } =
              after === null
                ? await query("SELECT instance_id, event_id, received_at, payload FROM events ORDER BY instance_id, event_id LIMIT $1", [limit])
                : await query("SELECT instance_id, event_id, received_at, payload FROM events WHERE (instance_id, event_id) > ($1, $2) ORDER BY instance_id, event_id LIMIT $3", [
                    after.instanceId,
                    after.eventId,
                    limit,
                  ]);
            return rows.map((row) => ({
              instanceId: row.instance_id as string,
              eventId: row.event_id as string,
              receivedMs: (row.received_at as Date).getTime(),
              // json, not jsonb: node-postgres parses it in JS, where a \u0000 escape is an ordinary character.
              event: (typeof row.payload === "string" ? JSON.parse(row.payload) : row.payload) as TaskCompletionEvent,
            }));
          },
          // Only migration 6's backfill writes aggregates: in its own layout, which 8 converts.
          writeInstanceAggregates: async (rows) => {
            await writeVersion6Aggregates({ query }, rows);
          },
        },
        this.#migrations,
        // Old processes keep starting during a rolling deploy (migration.ts).
        "accept",
      );
    });
  }

  async migrate(): Promise<void> {
    await this.applyMigrations();
  }

  async ping(): Promise<void> {
    await this.#c.query("SELECT 1");
  }

  queueDepth(): number {
    return this.#ingestQueue.queued;
  }

  close(): Promise<void> {
    return this.#c.close();
  }

  createInstance(instance: InstanceRecord, firstKey: NewApiKey): Promise<void> {
    return keys.createInstance(this.#c, instance, firstKey);
  }

  getInstance(id: string): Promise<InstanceRecord | null> {
    return keys.getInstance(this.#c, id);
  }

  listInstances(): Promise<InstanceRecord[]> {
    return keys.listInstances(this.#c);
  }

  insertApiKey(key: NewApiKey): Promise<void> {
    return keys.insertApiKey(this.#c, key);
  }

  listApiKeys(instanceId?: string): Promise<ApiKeyRecord[]> {
    return keys.listApiKeys(this.#c, instanceId);
  }

  findApiKeyByHash(hash: string): Promise<ApiKeyRecord | null> {
    return keys.findApiKeyByHash(this.#c, hash);
  }

  revokeApiKey(id: string, at: Date): Promise<ApiKeyRecord | null> {
    return keys.revokeApiKey(this.#c, id, at);
  }

  async ingestEvents(instanceId: string, events: readonly EventToStore[], receivedAt: Date): Promise<IngestStatus[]> {
    const statuses: IngestStatus[] = events.map(() => "duplicate");
    if (events.length === 0) return statuses;
    if (this.#c.closed) throw new StorageUnavailableError("PostgreSQL storage is closed");
    const first = firstOccurrences(events);
    const unique = first.length === events.length ? events : first.map((index) => events[index] as EventToStore);
    const inserted = await this.#ingestQueue.submit({ instanceId, events: unique, receivedAt });
    first.forEach((index, position) => {
      if (inserted[position]) statuses[index] = "accepted";
    });
    return statuses;
  }

  async readSnapshots(groupKeys: readonly string[]): Promise<SnapshotRead> {
    return this.#predictions.readSnapshots(groupKeys);
  }

  async clock(): Promise<Date> {
    return this.#predictions.clock();
  }

  async saveSnapshots(snapshots: readonly StoredSnapshot[], staleBefore: Date): Promise<Map<string, StoredSnapshot>> {
    return this.#predictions.saveSnapshots(snapshots, staleBefore);
  }

  readInstanceAggregates(groupKeys: readonly string[]): Promise<Map<string, InstanceAggregate[]>> {
    return this.#predictions.readInstanceAggregates(groupKeys);
  }

  readOwnAggregates(instanceId: string, groupKeys: readonly string[]): Promise<Map<string, InstanceAggregate>> {
    return this.#predictions.readOwnAggregates(instanceId, groupKeys);
  }

  readAllInstanceAggregates(): AsyncIterable<GroupInstanceAggregates> {
    return this.#predictions.readAllInstanceAggregates();
  }

  noiseKey(candidate: string): Promise<string> {
    return this.#predictions.noiseKey(candidate);
  }

  takeRefreshLease(forMs: number, now?: Date): Promise<Date | null> {
    return this.#predictions.takeRefreshLease(forMs, now);
  }

  renewRefreshLease(lease: Date, forMs: number, now?: Date): Promise<Date | null> {
    return this.#predictions.renewRefreshLease(lease, forMs, now);
  }

  releaseRefreshLease(lease: Date): Promise<void> {
    return this.#predictions.releaseRefreshLease(lease);
  }

  usage(instanceId: string): Promise<InstanceUsage> {
    return reads.usage(this.#c, instanceId);
  }

  readUsageSeries(query: UsageSeriesQuery): Promise<UsageSeriesRow[]> {
    return reads.readUsageSeries(this.#c, query);
  }

  readTopEvents(query: TopEventsQuery): Promise<StoredEvent[]> {
    return reads.readTopEvents(this.#c, query);
  }
}
