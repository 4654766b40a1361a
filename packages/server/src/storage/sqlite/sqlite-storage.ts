import { runMigrations, type BackfillEvent, type EventCursor, type Migration, type MigrationResult } from "../migration.js";
import type {
  ApiKeyRecord,
  EventToStore,
  IngestStatus,
  InstanceRecord,
  InstanceUsage,
  NewApiKey,
  Storage,
  StoredEvent,
  TopEventsQuery,
  UsageSeriesQuery,
  UsageSeriesRow,
} from "../storage.js";
import { StorageUnavailableError } from "../storage.js";
import { CheckpointThread, walBoundPages } from "./checkpoint-thread.js";
import { storedEvent, type StoredEventRow } from "./compact-event.js";
import type { SqliteDatabase } from "./sqlite-driver.js";
import { mapSqliteError } from "./sqlite-errors.js";
import { ingestTogether, writeInstanceAggregates, type SqliteIngestJob } from "./sqlite-ingest.js";
import * as keys from "./sqlite-keys.js";
import { SQLITE_MIGRATIONS } from "./sqlite-migrations.js";
import * as reads from "./sqlite-reads.js";
import { SQLITE_DEFAULTS, applySqliteSettings, type SqliteSettings } from "./sqlite-settings.js";
import { SqliteConnection } from "./sqlite-transaction.js";
import { registerSketchFunctions } from "./sketch-functions.js";
import { TurnGroupCommit } from "./turn-group-commit.js";
import { WalSync } from "./wal-sync.js";
import type { InstanceAggregate } from "../../aggregation/instance-aggregate.js";
import type { GroupInstanceAggregates, SnapshotRead, StoredSnapshot } from "../prediction-store.js";
import { SqlitePredictionStore } from "./sqlite-prediction-store.js";

/**
 * The embedded engine: one better-sqlite3 handle in WAL mode (sqlite-transaction.ts). What would
 * block the loop on the disk runs elsewhere: the WAL's fdatasync on libuv's thread pool
 * (wal-sync.ts), checkpoints on a thread with their own connection (checkpoint-thread.ts).
 * Its parts mirror the PostgreSQL engine's: settings, rows, sql, transaction, keys, reads, ingest,
 * migrations.
 */
export class SqliteStorage implements Storage {
  readonly engine = "sqlite" as const;
  readonly #c: SqliteConnection;
  readonly #migrations: readonly Migration[];
  readonly #ingestQueue: TurnGroupCommit<SqliteIngestJob, IngestStatus[]>;
  readonly #checkpoints: CheckpointThread | null;
  readonly #predictions: SqlitePredictionStore;

  constructor(db: SqliteDatabase, settings: SqliteSettings = {}, migrations: readonly Migration[] = SQLITE_MIGRATIONS) {
    this.#migrations = migrations;
    // Before any statement: migrations and ingest call them.
    registerSketchFunctions(db);
    const { journalMode, busyTimeoutMs, walSynced } = applySqliteSettings(db, settings);
    this.#c = new SqliteConnection(db, walSynced ? new WalSync({ databasePath: db.name, syncData: settings.syncData }) : null);
    this.#predictions = new SqlitePredictionStore(db, (work) => this.#c.run(work));
    this.#ingestQueue = new TurnGroupCommit({
      runTogether: (jobs) => {
        settings.onIngestTransaction?.(jobs.length);
        return this.#c.run(() => this.#c.transaction(() => ingestTogether(this.#c, jobs)));
      },
      // An unavailable database fails every call alike; anything else may be one call's data.
      retryAlone: (error) => !(error instanceof StorageUnavailableError),
      weight: (job) => job.events.length,
      maxWeight: Math.max(1, settings.maxEventsPerTransaction ?? SQLITE_DEFAULTS.maxEventsPerTransaction),
      afterCommit: () => {
        this.#checkpoints?.nudge();
        return this.#c.durable();
      },
    });
    const checkpointThread = settings.checkpointThread ?? SQLITE_DEFAULTS.checkpointThread;
    this.#checkpoints = checkpointThread && journalMode === "wal" && !db.memory ? startCheckpoints(db, busyTimeoutMs) : null;
  }

  /** Applies pending migrations under the write lock (BEGIN IMMEDIATE), so concurrent starts apply each once. */
  async applyMigrations(): Promise<MigrationResult> {
    const c = this.#c;
    const result = c.run(() =>
      c.transaction(() =>
        runMigrations(
          {
            // BEGIN IMMEDIATE holds the write lock already.
            lock: () => {},
            createVersionTable: () => {
              c.db.exec("CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at INTEGER NOT NULL) STRICT");
            },
            currentVersion: () => (c.db.prepare("SELECT MAX(version) AS version FROM schema_migrations").get() as { version: number | null }).version ?? 0,
            exec: (statement) => {
              c.db.exec(statement);
            },
            record: (migration) => {
              c.db.prepare("INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)").run(migration.version, migration.name, Date.now());
            },
            readEvents: (after, limit) => readEventPage(c, after, limit),
            writeInstanceAggregates: (rows) => writeInstanceAggregates(c, rows),
          },
          this.#migrations,
          // Rows a later build stored may be in a form this one misreads (migration.ts).
          "refuse",
        ),
      ),
    );
    await c.durable();
    return result;
  }

  async migrate(): Promise<void> {
    await this.applyMigrations();
  }

  async ping(): Promise<void> {
    this.#c.run(() => this.#c.statement("SELECT 1").get());
  }

  queueDepth(): number {
    return this.#ingestQueue.queued;
  }

  async close(): Promise<void> {
    if (this.#c.closed) return;
    // Calls already accepted into the next group are written (and synced) before the handle goes.
    this.#ingestQueue.flush();
    await this.#c.close();
    await this.#checkpoints?.close();
    if (this.#c.db.open) this.#c.db.close();
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

  /**
   * Group commit: calls made in the same turn of the event loop share one transaction (one fsync),
   * written in call order, so a later call's copy of an event_id is the duplicate. Each call
   * resolves after that commit.
   */
  async ingestEvents(instanceId: string, events: readonly EventToStore[], receivedAt: Date): Promise<IngestStatus[]> {
    if (events.length === 0) return [];
    if (this.#c.closed) throw mapSqliteError(new TypeError("The database connection is not open"));
    return this.#ingestQueue.submit({ instanceId, events, receivedMs: receivedAt.getTime() });
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

  async readInstanceAggregates(groupKeys: readonly string[]): Promise<Map<string, InstanceAggregate[]>> {
    return this.#predictions.readInstanceAggregates(groupKeys);
  }

  async readOwnAggregates(instanceId: string, groupKeys: readonly string[]): Promise<Map<string, InstanceAggregate>> {
    return this.#predictions.readOwnAggregates(instanceId, groupKeys);
  }

  readAllInstanceAggregates(): AsyncIterable<GroupInstanceAggregates> {
    return this.#predictions.readAllInstanceAggregates();
  }

  async noiseKey(candidate: string): Promise<string> {
    return this.#predictions.noiseKey(candidate);
  }

  async takeRefreshLease(forMs: number, now?: Date): Promise<Date | null> {
    return this.#predictions.takeRefreshLease(forMs, now);
  }

  async renewRefreshLease(lease: Date, forMs: number, now?: Date): Promise<Date | null> {
    return this.#predictions.renewRefreshLease(lease, forMs, now);
  }

  async releaseRefreshLease(lease: Date): Promise<void> {
    return this.#predictions.releaseRefreshLease(lease);
  }

  async usage(instanceId: string): Promise<InstanceUsage> {
    return reads.usage(this.#c, instanceId);
  }

  async readUsageSeries(query: UsageSeriesQuery): Promise<UsageSeriesRow[]> {
    return reads.readUsageSeries(this.#c, query);
  }

  async readTopEvents(query: TopEventsQuery): Promise<StoredEvent[]> {
    return reads.readTopEvents(this.#c, query);
  }
}

const EVENT_PAGE_COLUMNS = "instance_id, event_id, received_at, timestamp, payload";

/** A page of stored events in primary-key order, for a migration's backfill. */
function readEventPage(c: SqliteConnection, after: EventCursor, limit: number): BackfillEvent[] {
  const rows = (
    after === null
      ? c.db.prepare(`SELECT ${EVENT_PAGE_COLUMNS} FROM events ORDER BY instance_id, event_id LIMIT ?`).all(limit)
      : c.db
          .prepare(`SELECT ${EVENT_PAGE_COLUMNS} FROM events WHERE (instance_id, event_id) > (?, ?) ORDER BY instance_id, event_id LIMIT ?`)
          .all(after.instanceId, after.eventId, limit)
  ) as (StoredEventRow & { received_at: number })[];
  return rows.map((row) => ({ instanceId: row.instance_id, eventId: row.event_id, receivedMs: row.received_at, event: storedEvent(row) }));
}

/** Checkpoints move to their thread; the writer's own threshold becomes the bound (checkpoint-thread.ts). */
function startCheckpoints(db: SqliteDatabase, busyTimeoutMs: number): CheckpointThread {
  const ownThreshold = db.pragma("wal_autocheckpoint", { simple: true });
  db.pragma(`wal_autocheckpoint = ${walBoundPages(db.pragma("page_size", { simple: true }) as number)}`);
  return new CheckpointThread({
    path: db.name,
    busyTimeoutMs,
    // Without the thread the writer checkpoints by itself again, as SQLite does by default.
    onLost: () => {
      if (db.open) db.pragma(`wal_autocheckpoint = ${String(ownThreshold)}`);
    },
  });
}
