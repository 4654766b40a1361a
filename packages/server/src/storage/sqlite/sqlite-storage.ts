import type { TaskCompletionEvent } from "@mosaicstack/telemetry-protocol";
import type { GroupLevel } from "../../predictions/group-key.js";
import { firstOccurrences, foldBatch, foldRollups, type BinDelta, type InstanceEvent } from "../batch-fold.js";
import { eventPayload } from "../event-payload.js";
import { migrationStatements, type Migration, type MigrationResult } from "../migration.js";
import {
  SKETCH_METRICS,
  type ApiKeyRecord,
  type GroupAggregate,
  type GroupSummary,
  type IngestStatus,
  type InstanceRecord,
  type InstanceUsage,
  type NewApiKey,
  type QuantileBins,
  type SketchMetric,
  type Storage,
  type StoredEvent,
  type TopEventsQuery,
  type UsageSeriesQuery,
  type UsageSeriesRow,
  StorageUnavailableError,
} from "../storage.js";
import { DAY_MS, HOUR_MS, ROLLUP_ADDITIVE_COLUMNS, ROLLUP_ADD_CLAUSE, ROLLUP_KEY_COLUMNS, additiveValues, sumsOfValues } from "../usage-rollup.js";
import type { SqliteDatabase, SqliteStatement } from "./sqlite-driver.js";
import { mapSqliteError } from "./sqlite-errors.js";
import { SQLITE_MIGRATIONS } from "./sqlite-migrations.js";
import { CheckpointThread, walBoundPages } from "./checkpoint-thread.js";
import { binsOfSketch, decodeSketch, quantileBinsOfSketch, sketchBlobOfBins } from "./dense-sketch.js";
import { registerSketchFunctions } from "./sketch-functions.js";
import { TurnGroupCommit } from "./turn-group-commit.js";
import { WalSync, type WalSyncOptions } from "./wal-sync.js";

interface InstanceRow {
  id: string;
  name: string;
  created_at: number;
}

interface ApiKeyRow {
  id: string;
  instance_id: string;
  hash: string;
  display: string;
  created_at: number;
  revoked_at: number | null;
  expires_at: number | null;
}

interface GroupRow {
  group_key: string;
  level: number;
  parent_key: string | null;
  events: number;
  contributors: number;
  sum_estimated_input_tokens: number;
  sum_actual_input_tokens: number;
  sum_estimated_output_tokens: number;
  sum_actual_output_tokens: number;
  gate_passed: number;
  successes: number;
  last_updated: number | null;
}

/** Connection settings applied at open; why each one is in docs/decisions/0001-storage.md. */
export interface SqliteSettings {
  /**
   * true: every write resolves only after its WAL frames were fdatasync'ed, so a 200 survives
   * power loss (done off the event loop: wal-sync.ts; or with synchronous=FULL where the file is
   * not in WAL mode). false: survives a process crash only; for benchmarks, nothing ships it.
   * @default true
   */
  durableWrites?: boolean;
  /** fdatasync of the WAL, injectable so a test can hold a sync open (wal-sync.ts). */
  syncData?: WalSyncOptions["syncData"];
  /**
   * Run WAL checkpoints on a thread with its own connection (checkpoint-thread.ts) instead of
   * on the event loop after a commit. Files in WAL mode only; openStorage turns it on.
   * @default false
   */
  checkpointThread?: boolean;
  /**
   * Page size of a database file this connection creates; a file that already has pages keeps its
   * own (SQLite changes it only by a VACUUM outside WAL mode). 16 KiB rather than SQLite's 4 KiB:
   * an event row is ~1 KB, so a commit writes a quarter as many WAL frames (one pwrite each, on the
   * event loop) and pages hold rows with less slack; ingest measured 0.52x -> 0.65x of the
   * parse-only route (docs/benchmarks-server.md, fourth pass).
   * @default 16384
   */
  pageSizeBytes?: number;
  /** How long a writer waits for another process's write lock before SQLITE_BUSY. @default 5000 */
  busyTimeoutMs?: number;
  /**
   * Page cache per connection. An event with a random (v4) id adds a key at a random place in the
   * dedup index (instance_id, event_id); with SQLite's 2 MiB default, once that index outgrows the
   * cache nearly every such insert reads an index page back from the OS. 64 MiB keeps the index
   * pages of about 700 k events in memory: ingest went from 27 to 17 µs of CPU per event
   * (docs/benchmarks-server.md). The SDK's UUIDv7 ids append at the index's end and need less.
   * @default 64
   */
  cacheSizeMiB?: number;
  /**
   * Most events written in one group-commit transaction; more waiting requests go in the next one.
   * @default 5000
   */
  maxEventsPerTransaction?: number;
  /** Called with the number of ingest calls each group-commit transaction holds (tests count them). */
  onIngestTransaction?(calls: number): void;
}

/** One ingestEvents call waiting for its group's transaction. */
interface IngestJob {
  instanceId: string;
  events: readonly TaskCompletionEvent[];
  /** Each event's stored text, or undefined for eventPayload(event). */
  payloads: readonly string[] | undefined;
  receivedMs: number;
}

/** The accepted events of one instance within a transaction, with the receive times they span. */
interface InstanceAccepted {
  events: TaskCompletionEvent[];
  firstMs: number;
  lastMs: number;
}

const fromMs = (ms: number | null): Date | null => (ms === null ? null : new Date(ms));

/** SQLite ignores any other page size without a word, and the file would get 4 KiB. */
function checkedPageSize(bytes: number): number {
  const powerOfTwo = Number.isInteger(bytes) && (bytes & (bytes - 1)) === 0;
  if (!powerOfTwo || bytes < 512 || bytes > 65_536) {
    throw new RangeError(`pageSizeBytes must be a power of two from 512 to 65536, not ${bytes}`);
  }
  return bytes;
}

function toInstance(row: InstanceRow): InstanceRecord {
  return { id: row.id, name: row.name, createdAt: new Date(row.created_at) };
}

function toApiKey(row: ApiKeyRow): ApiKeyRecord {
  return {
    id: row.id,
    instanceId: row.instance_id,
    hash: row.hash,
    display: row.display,
    createdAt: new Date(row.created_at),
    revokedAt: fromMs(row.revoked_at),
    expiresAt: fromMs(row.expires_at),
  };
}

function toSummary(row: GroupRow): GroupSummary {
  return {
    groupKey: row.group_key,
    level: row.level as GroupLevel,
    parentKey: row.parent_key,
    events: row.events,
    contributors: row.contributors,
    sumEstimatedInputTokens: row.sum_estimated_input_tokens,
    sumActualInputTokens: row.sum_actual_input_tokens,
    sumEstimatedOutputTokens: row.sum_estimated_output_tokens,
    sumActualOutputTokens: row.sum_actual_output_tokens,
    gatePassed: row.gate_passed,
    successes: row.successes,
    lastUpdated: fromMs(row.last_updated),
  };
}

/** A list of keys as one JSON parameter, expanded by json_each: one cached statement for any length. */
const KEYS_PARAM = "(SELECT value FROM json_each(?))";

/**
 * Each asked group's sketches, one row and one BLOB per metric (dense-sketch.ts): a read costs
 * SQLite's per-row step once per sketch however many bins the sketch holds.
 */
const READ_SKETCHES = `SELECT group_key, metric, sketch FROM group_sketches WHERE group_key IN ${KEYS_PARAM}`;

/** The rollup upsert: one row per (instance, hour, dimensions) a transaction touches. */
const UPSERT_ROLLUP = `
  INSERT INTO usage_rollups (${[...ROLLUP_KEY_COLUMNS, ...ROLLUP_ADDITIVE_COLUMNS].join(", ")})
  VALUES (${[...ROLLUP_KEY_COLUMNS, ...ROLLUP_ADDITIVE_COLUMNS].map(() => "?").join(", ")})
  ON CONFLICT (${ROLLUP_KEY_COLUMNS.join(", ")}) DO UPDATE SET
    ${ROLLUP_ADD_CLAUSE}`;

/** Sums of a usage series: integer columns by sum(), REAL ones by total() (a double, never an overflow error). */
const SERIES_SUMS = ROLLUP_ADDITIVE_COLUMNS.map((column, i) => `${/_tokens|_micros|_ms$/.test(column) ? "total" : "sum"}(${column}) AS s${i}`).join(", ");

/**
 * The costliest events of a range: the inner query walks only the index (instance_id,
 * occurred_at, cost_usd_micros), covering, and keeps the top rows by rowid; only those rows'
 * payloads are read.
 */
function topEventsSql(allInstances: boolean): string {
  const instances = allInstances ? "instance_id IN (SELECT id FROM instances)" : "instance_id = ?";
  return `
  SELECT e.instance_id, e.payload FROM events e JOIN (
    SELECT rowid AS id FROM events INDEXED BY events_instance_occurred
    WHERE ${instances} AND occurred_at >= ? AND occurred_at < ?
    ORDER BY cost_usd_micros DESC, occurred_at DESC LIMIT ?
  ) AS top ON e.rowid = top.id
  ORDER BY e.cost_usd_micros DESC, e.occurred_at DESC`;
}

interface SketchRow {
  group_key: string;
  metric: SketchMetric;
  sketch: Uint8Array;
}

/**
 * The embedded engine: one better-sqlite3 handle in WAL mode. better-sqlite3 is synchronous, so
 * each call runs to completion on the event loop and one process never interleaves two
 * transactions; other processes are kept out by BEGIN IMMEDIATE and busy_timeout. What would
 * block the loop on the disk runs elsewhere: the WAL's fdatasync on libuv's thread pool
 * (wal-sync.ts), checkpoints on a thread with their own connection (checkpoint-thread.ts).
 */
export class SqliteStorage implements Storage {
  readonly engine = "sqlite" as const;
  readonly #db: SqliteDatabase;
  readonly #statements = new Map<string, SqliteStatement>();
  readonly #migrations: readonly Migration[];
  readonly #ingestQueue: TurnGroupCommit<IngestJob, IngestStatus[]>;
  /** Null where no WAL file is synced: an in-memory database, or synchronous=FULL does it. */
  readonly #walSync: WalSync | null;
  readonly #checkpoints: CheckpointThread | null;
  #closed = false;

  constructor(db: SqliteDatabase, settings: SqliteSettings = {}, migrations: readonly Migration[] = SQLITE_MIGRATIONS) {
    this.#db = db;
    this.#migrations = migrations;
    this.#ingestQueue = new TurnGroupCommit({
      runTogether: (jobs) => {
        settings.onIngestTransaction?.(jobs.length);
        return this.#run(() => this.#transaction(() => this.#ingestTogether(jobs)));
      },
      // An unavailable database fails every call alike; anything else may be one call's data.
      retryAlone: (error) => !(error instanceof StorageUnavailableError),
      weight: (job) => job.events.length,
      maxWeight: Math.max(1, settings.maxEventsPerTransaction ?? 5000),
      afterCommit: () => {
        this.#checkpoints?.nudge();
        return this.#durable();
      },
    });
    // Before any statement: migrations and ingest call them.
    registerSketchFunctions(db);
    // Before WAL mode: the first write fixes the page size of a new file.
    db.pragma(`page_size = ${checkedPageSize(settings.pageSizeBytes ?? 16_384)}`);
    // WAL: readers never block the writer and a commit is one sequential append.
    const journalMode = db.pragma("journal_mode = WAL", { simple: true });
    const durable = settings.durableWrites ?? true;
    // The WAL is synced by WalSync, off the loop; a file that could not enter WAL mode (and so
    // has no -wal file) gets SQLite's own fsync at every commit instead.
    this.#walSync = durable && journalMode === "wal" ? new WalSync({ databasePath: db.name, syncData: settings.syncData }) : null;
    db.pragma(`synchronous = ${durable && this.#walSync === null && !db.memory ? "FULL" : "NORMAL"}`);
    const busyTimeoutMs = Math.max(0, Math.trunc(settings.busyTimeoutMs ?? 5000));
    db.pragma(`busy_timeout = ${busyTimeoutMs}`);
    db.pragma("foreign_keys = ON");
    // Negative: a size in KiB rather than in pages.
    db.pragma(`cache_size = ${-Math.max(1, Math.trunc((settings.cacheSizeMiB ?? 64) * 1024))}`);
    this.#checkpoints = settings.checkpointThread && journalMode === "wal" && !db.memory ? this.#startCheckpoints(db, busyTimeoutMs) : null;
  }

  /** Checkpoints move to their thread; the writer's own threshold becomes the bound (checkpoint-thread.ts). */
  #startCheckpoints(db: SqliteDatabase, busyTimeoutMs: number): CheckpointThread {
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

  /** Applies pending migrations under a write lock, so concurrent starts apply each once. */
  async applyMigrations(): Promise<MigrationResult> {
    const result = this.#run(() =>
      this.#transaction(() => {
        this.#db.exec(
          "CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at INTEGER NOT NULL) STRICT",
        );
        const row = this.#db.prepare("SELECT MAX(version) AS version FROM schema_migrations").get() as {
          version: number | null;
        };
        let version = row.version ?? 0;
        const applied: number[] = [];
        for (const migration of this.#migrations) {
          if (migration.version <= version) continue;
          for (const statement of migrationStatements(migration.sql)) this.#db.exec(statement);
          this.#db
            .prepare("INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)")
            .run(migration.version, migration.name, Date.now());
          applied.push(migration.version);
          version = migration.version;
        }
        return { applied, version };
      }),
    );
    await this.#durable();
    return result;
  }

  async migrate(): Promise<void> {
    await this.applyMigrations();
  }

  async ping(): Promise<void> {
    this.#run(() => this.#statement("SELECT 1").get());
  }

  queueDepth(): number {
    return this.#ingestQueue.queued;
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    // Calls already accepted into the next group are written (and synced) before the handle goes.
    this.#ingestQueue.flush();
    this.#closed = true;
    await this.#walSync?.close();
    await this.#checkpoints?.close();
    this.#statements.clear();
    if (this.#db.open) this.#db.close();
  }

  async createInstance(instance: InstanceRecord, firstKey: NewApiKey): Promise<void> {
    this.#run(() =>
      this.#transaction(() => {
        this.#statement("INSERT INTO instances (id, name, created_at) VALUES (?, ?, ?)").run(
          instance.id,
          instance.name,
          instance.createdAt.getTime(),
        );
        this.#insertApiKey(firstKey);
      }),
    );
    await this.#durable();
  }

  async getInstance(id: string): Promise<InstanceRecord | null> {
    const row = this.#run(() => this.#statement("SELECT * FROM instances WHERE id = ?").get(id)) as InstanceRow | undefined;
    return row ? toInstance(row) : null;
  }

  async listInstances(): Promise<InstanceRecord[]> {
    const rows = this.#run(() => this.#statement("SELECT * FROM instances ORDER BY created_at, id").all()) as InstanceRow[];
    return rows.map(toInstance);
  }

  async insertApiKey(key: NewApiKey): Promise<void> {
    this.#run(() => this.#insertApiKey(key));
    await this.#durable();
  }

  async listApiKeys(instanceId?: string): Promise<ApiKeyRecord[]> {
    const rows = this.#run(() =>
      instanceId === undefined
        ? this.#statement("SELECT * FROM api_keys ORDER BY created_at, id").all()
        : this.#statement("SELECT * FROM api_keys WHERE instance_id = ? ORDER BY created_at, id").all(instanceId),
    ) as ApiKeyRow[];
    return rows.map(toApiKey);
  }

  async findApiKeyByHash(hash: string): Promise<ApiKeyRecord | null> {
    const row = this.#run(() => this.#statement("SELECT * FROM api_keys WHERE hash = ?").get(hash)) as ApiKeyRow | undefined;
    return row ? toApiKey(row) : null;
  }

  async revokeApiKey(id: string, at: Date): Promise<ApiKeyRecord | null> {
    // COALESCE keeps the first revocation time when a key is revoked twice.
    const row = this.#run(() =>
      this.#statement("UPDATE api_keys SET revoked_at = COALESCE(revoked_at, ?) WHERE id = ? RETURNING *").get(
        at.getTime(),
        id,
      ),
    ) as ApiKeyRow | undefined;
    await this.#durable();
    return row ? toApiKey(row) : null;
  }

  /**
   * Group commit: calls made in the same turn of the event loop share one transaction (one fsync),
   * written in call order, so a later call's copy of an event_id is the duplicate. Each call
   * resolves after that commit.
   */
  async ingestEvents(
    instanceId: string,
    events: readonly TaskCompletionEvent[],
    receivedAt: Date,
    payloads?: readonly string[],
  ): Promise<IngestStatus[]> {
    if (events.length === 0) return [];
    if (this.#closed) throw mapSqliteError(new TypeError("The database connection is not open"));
    return this.#ingestQueue.submit({ instanceId, events, payloads, receivedMs: receivedAt.getTime() });
  }

  async readGroups(groupKeys: readonly string[]): Promise<Map<string, GroupAggregate>> {
    const keys = JSON.stringify(groupKeys);
    // One read transaction: another process's commit cannot land between the summaries and the
    // bins, so bin counts always sum to the events of the summary they come with.
    return this.#run(() => this.#readTransaction(() => {
      const rows = this.#statement(`SELECT * FROM aggregate_groups WHERE group_key IN ${KEYS_PARAM}`).all(keys) as GroupRow[];
      const sketchRows = this.#statement(READ_SKETCHES).all(keys) as SketchRow[];
      const result = new Map<string, GroupAggregate>();
      for (const row of rows) {
        const bins = Object.fromEntries(SKETCH_METRICS.map((metric) => [metric, new Map<number, number>()])) as Record<
          SketchMetric,
          Map<number, number>
        >;
        result.set(row.group_key, { ...toSummary(row), bins });
      }
      for (const row of sketchRows) {
        const group = result.get(row.group_key);
        if (group !== undefined && SKETCH_METRICS.includes(row.metric)) group.bins[row.metric] = binsOfSketch(decodeSketch(row.sketch));
      }
      return result;
    }));
  }

  async readChildSummaries(parentKeys: readonly string[]): Promise<GroupSummary[]> {
    const rows = this.#run(() =>
      this.#statement(`SELECT * FROM aggregate_groups WHERE parent_key IN ${KEYS_PARAM} ORDER BY group_key`).all(
        JSON.stringify(parentKeys),
      ),
    ) as GroupRow[];
    return rows.map(toSummary);
  }

  async readInstanceCounts(groupKeys: readonly string[]): Promise<Map<string, Map<string, number>>> {
    const rows = this.#run(() =>
      this.#statement(`SELECT group_key, instance_id, events FROM group_instances WHERE group_key IN ${KEYS_PARAM}`).all(
        JSON.stringify(groupKeys),
      ),
    ) as { group_key: string; instance_id: string; events: number }[];
    const result = new Map<string, Map<string, number>>();
    for (const row of rows) {
      let counts = result.get(row.group_key);
      if (!counts) result.set(row.group_key, (counts = new Map()));
      counts.set(row.instance_id, row.events);
    }
    return result;
  }

  async readGroupSummaries(groupKeys: readonly string[]): Promise<Map<string, GroupSummary>> {
    const rows = this.#run(() =>
      this.#statement(`SELECT * FROM aggregate_groups WHERE group_key IN ${KEYS_PARAM}`).all(JSON.stringify(groupKeys)),
    ) as GroupRow[];
    return new Map(rows.map((row) => [row.group_key, toSummary(row)]));
  }

  async readQuantileBins(groupKeys: readonly string[], quantiles: readonly number[]): Promise<Map<string, QuantileBins>> {
    const rows = this.#run(() => this.#statement(READ_SKETCHES).all(JSON.stringify(groupKeys))) as SketchRow[];
    const result = new Map<string, QuantileBins>();
    for (const row of rows) {
      if (!SKETCH_METRICS.includes(row.metric)) continue;
      let bins = result.get(row.group_key);
      if (!bins) {
        bins = Object.fromEntries(SKETCH_METRICS.map((metric) => [metric, quantiles.map(() => null)])) as QuantileBins;
        result.set(row.group_key, bins);
      }
      bins[row.metric] = quantileBinsOfSketch(decodeSketch(row.sketch), quantiles);
    }
    return result;
  }

  async usage(instanceId: string): Promise<InstanceUsage> {
    const row = this.#run(() => this.#statement("SELECT * FROM instance_usage WHERE instance_id = ?").get(instanceId)) as
      | { events: number; first_event_at: number; last_event_at: number }
      | undefined;
    if (!row) return { events: 0, firstEventAt: null, lastEventAt: null };
    return { events: row.events, firstEventAt: new Date(row.first_event_at), lastEventAt: new Date(row.last_event_at) };
  }

  async readUsageSeries(query: UsageSeriesQuery): Promise<UsageSeriesRow[]> {
    const size = query.bucket === "day" ? DAY_MS : HOUR_MS;
    // groupBy comes from the closed list ROLLUP_DIMENSIONS, never from the caller's text.
    const group = query.groupBy === null ? "NULL" : query.groupBy;
    const where = query.instanceId === null ? "hour >= ? AND hour < ?" : "instance_id = ? AND hour >= ? AND hour < ?";
    const sql = `SELECT hour / ${size} * ${size} AS bucket, ${group} AS grp, ${SERIES_SUMS} FROM usage_rollups WHERE ${where} GROUP BY bucket, grp`;
    const range = [query.from.getTime(), query.to.getTime()];
    const rows = this.#run(() => this.#statement(sql).all(...(query.instanceId === null ? range : [query.instanceId, ...range]))) as Record<
      string,
      unknown
    >[];
    return rows.map((row) => ({
      bucketStart: new Date(row["bucket"] as number),
      group: (row["grp"] as string | null) ?? null,
      ...sumsOfValues(ROLLUP_ADDITIVE_COLUMNS.map((_, i) => row[`s${i}`])),
    }));
  }

  async readTopEvents(query: TopEventsQuery): Promise<StoredEvent[]> {
    const range = [query.from.getTime(), query.to.getTime(), query.limit];
    const rows = this.#run(() =>
      query.instanceId === null
        ? this.#statement(topEventsSql(true)).all(...range)
        : this.#statement(topEventsSql(false)).all(query.instanceId, ...range),
    ) as { instance_id: string; payload: string }[];
    return rows.map((row) => ({ instanceId: row.instance_id, event: JSON.parse(row.payload) as Record<string, unknown> }));
  }

  /** Inserts the events of several calls and adds the accepted ones to their groups; inside a transaction. */
  #ingestTogether(jobs: readonly IngestJob[]): IngestStatus[][] {
    const insertEvent = this.#statement(
      "INSERT INTO events (instance_id, event_id, received_at, timestamp, payload, occurred_at, cost_usd_micros) VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
    );
    const acceptedByInstance = new Map<string, InstanceAccepted>();
    const results = jobs.map(({ instanceId, events, payloads, receivedMs }) => {
      const statuses: IngestStatus[] = events.map(() => "duplicate");
      let accepted = acceptedByInstance.get(instanceId);
      for (const index of firstOccurrences(events)) {
        const event = events[index] as TaskCompletionEvent;
        const { changes } = insertEvent.run(
          instanceId,
          event.event_id,
          receivedMs,
          event.timestamp,
          payloads?.[index] ?? eventPayload(event),
          Date.parse(event.timestamp),
          event.actual_cost_usd_micros,
        );
        if (changes !== 1) continue;
        statuses[index] = "accepted";
        if (!accepted) acceptedByInstance.set(instanceId, (accepted = { events: [], firstMs: receivedMs, lastMs: receivedMs }));
        accepted.events.push(event);
        accepted.firstMs = Math.min(accepted.firstMs, receivedMs);
        accepted.lastMs = Math.max(accepted.lastMs, receivedMs);
      }
      return statuses;
    });
    // One fold and one set of upserts per instance, however many of its calls share the transaction;
    // one sketch upsert per (group, metric) for all of them, since a sketch merge costs its width.
    const bins: BinDelta[][] = [];
    for (const [instanceId, accepted] of acceptedByInstance) bins.push(this.#addToAggregates(instanceId, accepted));
    this.#addToSketches(bins);
    this.#addToRollups(acceptedByInstance);
    return results;
  }

  /** Adds the transaction's accepted events to their usage rollups: one upsert per touched row. */
  #addToRollups(acceptedByInstance: ReadonlyMap<string, InstanceAccepted>): void {
    if (acceptedByInstance.size === 0) return;
    const upsert = this.#statement(UPSERT_ROLLUP);
    const items = function* (): Generator<InstanceEvent> {
      for (const [instanceId, { events }] of acceptedByInstance) for (const event of events) yield { instanceId, event };
    };
    for (const row of foldRollups(items())) {
      upsert.run(row.instanceId, row.hourMs, row.provider, row.model, row.task_type, row.complexity, row.harness, row.outcome, ...additiveValues(row));
    }
  }

  /** Adds bin deltas to their sketches: one upsert per (group, metric), merged by sketch_add. */
  #addToSketches(binsOfInstances: readonly (readonly BinDelta[])[]): void {
    const bySketch = new Map<string, Map<SketchMetric, [bin: number, count: number][]>>();
    for (const bins of binsOfInstances) {
      for (const { groupKey, metric, bin, count } of bins) {
        let byMetric = bySketch.get(groupKey);
        if (!byMetric) bySketch.set(groupKey, (byMetric = new Map()));
        const pairs = byMetric.get(metric);
        if (pairs) pairs.push([bin, count]);
        else byMetric.set(metric, [[bin, count]]);
      }
    }
    const upsertSketch = this.#statement(
      "INSERT INTO group_sketches (group_key, metric, sketch) VALUES (?, ?, ?) ON CONFLICT (group_key, metric) DO UPDATE SET sketch = sketch_add(group_sketches.sketch, excluded.sketch)",
    );
    for (const [groupKey, byMetric] of bySketch) {
      for (const [metric, pairs] of byMetric) upsertSketch.run(groupKey, metric, sketchBlobOfBins(pairs));
    }
  }

  /**
   * Adds accepted events to their groups, pairs and usage: one upsert per touched row, inside the
   * caller's transaction. Returns the bin deltas, which the caller adds to the sketches.
   */
  #addToAggregates(instanceId: string, { events: accepted, firstMs, lastMs }: InstanceAccepted): BinDelta[] {
    const receivedMs = lastMs;
    const fold = foldBatch(accepted);
    const insertPair = this.#statement(
      "INSERT INTO group_instances (group_key, instance_id, events) VALUES (?, ?, ?) ON CONFLICT DO NOTHING",
    );
    const addToPair = this.#statement("UPDATE group_instances SET events = events + ? WHERE group_key = ? AND instance_id = ?");
    const upsertGroup = this.#statement(`
      INSERT INTO aggregate_groups (group_key, level, parent_key, events, contributors,
        sum_estimated_input_tokens, sum_actual_input_tokens, sum_estimated_output_tokens, sum_actual_output_tokens,
        gate_passed, successes, last_updated)
      VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
      ON CONFLICT (group_key) DO UPDATE SET
        events = aggregate_groups.events + excluded.events,
        contributors = aggregate_groups.contributors + excluded.contributors,
        sum_estimated_input_tokens = aggregate_groups.sum_estimated_input_tokens + excluded.sum_estimated_input_tokens,
        sum_actual_input_tokens = aggregate_groups.sum_actual_input_tokens + excluded.sum_actual_input_tokens,
        sum_estimated_output_tokens = aggregate_groups.sum_estimated_output_tokens + excluded.sum_estimated_output_tokens,
        sum_actual_output_tokens = aggregate_groups.sum_actual_output_tokens + excluded.sum_actual_output_tokens,
        gate_passed = aggregate_groups.gate_passed + excluded.gate_passed,
        successes = aggregate_groups.successes + excluded.successes,
        last_updated = MAX(COALESCE(aggregate_groups.last_updated, 0), excluded.last_updated)`);
    const upsertUsage = this.#statement(`
      INSERT INTO instance_usage (instance_id, events, first_event_at, last_event_at) VALUES (?, ?, ?, ?)
      ON CONFLICT (instance_id) DO UPDATE SET
        events = instance_usage.events + excluded.events,
        first_event_at = MIN(instance_usage.first_event_at, excluded.first_event_at),
        last_event_at = MAX(instance_usage.last_event_at, excluded.last_event_at)`);

    for (const group of fold.groups) {
      // The write lock is ours for the whole transaction, so "the insert changed a row" is
      // exactly "this instance is new to this group".
      const isNewContributor = insertPair.run(group.groupKey, instanceId, group.events).changes === 1;
      if (!isNewContributor) addToPair.run(group.events, group.groupKey, instanceId);
      upsertGroup.run(
        group.groupKey,
        group.level,
        group.parentKey,
        group.events,
        isNewContributor ? 1 : 0,
        group.sumEstimatedInputTokens,
        group.sumActualInputTokens,
        group.sumEstimatedOutputTokens,
        group.sumActualOutputTokens,
        group.gatePassed,
        group.successes,
        receivedMs,
      );
    }
    upsertUsage.run(instanceId, accepted.length, firstMs, lastMs);
    return fold.bins;
  }

  #insertApiKey(key: NewApiKey): void {
    this.#statement(
      "INSERT INTO api_keys (id, instance_id, hash, display, created_at, revoked_at, expires_at) VALUES (?, ?, ?, ?, ?, NULL, ?)",
    ).run(key.id, key.instanceId, key.hash, key.display, key.createdAt.getTime(), key.expiresAt?.getTime() ?? null);
  }

  /** Prepared once per SQL text and reused: preparing costs more than most of our statements. */
  #statement(sql: string): SqliteStatement {
    let statement = this.#statements.get(sql);
    if (!statement) {
      statement = this.#db.prepare(sql);
      this.#statements.set(sql, statement);
    }
    return statement;
  }

  /**
   * BEGIN IMMEDIATE takes the write lock up front: a deferred transaction that reads first and
   * writes later can fail with SQLITE_BUSY without waiting for busy_timeout.
   */
  #transaction<T>(work: () => T): T {
    this.#db.exec("BEGIN IMMEDIATE");
    try {
      const result = work();
      this.#db.exec("COMMIT");
      return result;
    } catch (error) {
      if (this.#db.inTransaction) this.#db.exec("ROLLBACK");
      throw error;
    }
  }

  /** A deferred transaction that only reads: one WAL snapshot for all its statements. */
  #readTransaction<T>(work: () => T): T {
    this.#db.exec("BEGIN");
    try {
      return work();
    } finally {
      if (this.#db.inTransaction) this.#db.exec("COMMIT");
    }
  }

  /** Resolves when every write committed so far is on disk (see WalSync). */
  async #durable(): Promise<void> {
    if (this.#walSync === null) return;
    try {
      await this.#walSync.afterCommit();
    } catch (error) {
      // Committed but maybe not on disk: the caller must not answer as if it were durable.
      throw new StorageUnavailableError("SQLite storage unavailable: the write could not be synced to disk", { cause: error });
    }
  }

  #run<T>(work: () => T): T {
    if (this.#closed) throw mapSqliteError(new TypeError("The database connection is not open"));
    try {
      return work();
    } catch (error) {
      throw mapSqliteError(error);
    }
  }
}
