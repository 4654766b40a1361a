import type { TaskCompletionEvent } from "@mosaicstack/telemetry-protocol";
import type { GroupLevel } from "../../predictions/group-key.js";
import { GROUP_LEVELS, groupKey } from "../../predictions/group-key.js";
import { firstOccurrences, foldBatch, foldRollups } from "../batch-fold.js";
import { GroupCommit } from "../group-commit.js";
import { quantileBinsOf } from "../quantile-bins.js";
import { eventPayload } from "../event-payload.js";
import { migrationStatements, type Migration, type MigrationResult } from "../migration.js";
import {
  SKETCH_METRICS,
  StorageUnavailableError,
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
} from "../storage.js";
import { ROLLUP_ADDITIVE_COLUMNS, ROLLUP_ADD_CLAUSE, ROLLUP_KEY_COLUMNS, RATIO_COLUMNS, ROLLUP_SUM_COLUMNS, additiveValues, sumsOfValues } from "../usage-rollup.js";
import type { PgPool, PgPoolClient, PgQueryable } from "./postgres-driver.js";
import { mapPgError } from "./postgres-errors.js";
import { POSTGRES_MIGRATIONS } from "./postgres-migrations.js";

type Row = Record<string, unknown>;

/**
 * Ingest calls that arrive while a transaction runs are written together in the next one (see
 * group-commit.ts), up to this many events per transaction.
 */
const DEFAULT_MAX_EVENTS_PER_TRANSACTION = 2000;

/** Events allowed to wait for a transaction, in transactions' worth: beyond it a call gets 503 at once. */
const QUEUED_TRANSACTIONS = 10;

/** Migrations may wait for another process's migration lock and rewrite big tables: no read timeout. */
const MIGRATION_QUERY_TIMEOUT_MS = 6 * 60 * 60 * 1000;

export interface PostgresStorageOptions {
  /** @default 2000 */
  maxEventsPerTransaction?: number;
  /** An ingest call still waiting for its transaction after this long gets StorageUnavailableError. @default 5000 */
  maxQueueWaitMs?: number;
  /** Told the number of ingest calls each transaction writes (tests, metrics). */
  onIngestTransaction?: (calls: number) => void;
}

/** One ingestEvents call waiting for its transaction: its first copies of each event_id. */
interface IngestJob {
  instanceId: string;
  events: readonly TaskCompletionEvent[];
  /** Each event's stored text, or undefined for eventPayload(event). */
  payloads: readonly string[] | undefined;
  receivedAt: Date;
}

interface AcceptedEvent {
  instanceId: string;
  event: TaskCompletionEvent;
  receivedAt: Date;
}

/** Attempts of one transaction aborted as a deadlock victim or serialization failure. */
const MAX_TRANSACTION_ATTEMPTS = 3;

/** Any fixed number; every process of every version must use the same one. ("mosa" in ASCII.) */
const MIGRATION_LOCK_ID = 0x6d6f7361;

// bigint arrives as a string from node-postgres (it may exceed 2^53); our counts never do.
const num = (value: unknown): number => Number(value);
const dateOrNull = (value: unknown): Date | null => (value === null || value === undefined ? null : (value as Date));

function toInstance(row: Row): InstanceRecord {
  return { id: row.id as string, name: row.name as string, createdAt: row.created_at as Date };
}

function toApiKey(row: Row): ApiKeyRecord {
  return {
    id: row.id as string,
    instanceId: row.instance_id as string,
    hash: row.hash as string,
    display: row.display as string,
    createdAt: row.created_at as Date,
    revokedAt: dateOrNull(row.revoked_at),
    expiresAt: dateOrNull(row.expires_at),
  };
}

function toSummary(row: Row): GroupSummary {
  return {
    groupKey: row.group_key as string,
    level: num(row.level) as GroupLevel,
    parentKey: (row.parent_key as string | null) ?? null,
    events: num(row.events),
    contributors: num(row.contributors),
    sumEstimatedInputTokens: num(row.sum_estimated_input_tokens),
    sumActualInputTokens: num(row.sum_actual_input_tokens),
    sumEstimatedOutputTokens: num(row.sum_estimated_output_tokens),
    sumActualOutputTokens: num(row.sum_actual_output_tokens),
    gatePassed: num(row.gate_passed),
    successes: num(row.successes),
    lastUpdated: dateOrNull(row.last_updated),
  };
}

const GROUP_COLUMNS = `group_key, level, parent_key, events, contributors, sum_estimated_input_tokens,
  sum_actual_input_tokens, sum_estimated_output_tokens, sum_actual_output_tokens, gate_passed, successes, last_updated`;

/**
 * Every statement that takes row locks inserts its rows ORDER BY key: concurrent transactions
 * then lock the rows they share in the same order, table by table, and cannot deadlock.
 */
const INSERT_EVENTS = `
  INSERT INTO events (instance_id, event_id, received_at, "timestamp", payload, cost_usd_micros)
  SELECT e.instance_id, e.event_id, e.received_at, e.ts::timestamptz, e.payload::json, e.cost
  FROM unnest($1::text[], $2::text[], $3::timestamptz[], $4::text[], $5::text[], $6::bigint[]) AS e (instance_id, event_id, received_at, ts, payload, cost)
  ORDER BY e.instance_id, e.event_id
  ON CONFLICT (instance_id, event_id) DO NOTHING
  RETURNING instance_id, event_id`;

// xmax = 0 on a row this statement inserted; an ON CONFLICT update sets it to our transaction id.
// So "inserted" is exactly "first event of this instance in this group", even when another
// process inserted the pair a moment ago (we waited for its commit and updated instead).
const UPSERT_GROUP_INSTANCES = `
  INSERT INTO group_instances (group_key, instance_id, events)
  SELECT g.group_key, g.instance_id, g.events FROM unnest($1::text[], $2::text[], $3::bigint[]) AS g (group_key, instance_id, events)
  ORDER BY g.group_key, g.instance_id
  ON CONFLICT (group_key, instance_id) DO UPDATE SET events = group_instances.events + excluded.events
  RETURNING group_key, (xmax = 0) AS inserted`;

const UPSERT_GROUPS = `
  INSERT INTO aggregate_groups (${GROUP_COLUMNS})
  SELECT g.* FROM unnest($1::text[], $2::smallint[], $3::text[], $4::bigint[], $5::bigint[],
    $6::float8[], $7::float8[], $8::float8[], $9::float8[], $10::bigint[], $11::bigint[], $12::timestamptz[])
    AS g (group_key, level, parent_key, events, contributors, s1, s2, s3, s4, gate_passed, successes, last_updated)
  ORDER BY g.group_key
  ON CONFLICT (group_key) DO UPDATE SET
    events = aggregate_groups.events + excluded.events,
    contributors = aggregate_groups.contributors + excluded.contributors,
    sum_estimated_input_tokens = aggregate_groups.sum_estimated_input_tokens + excluded.sum_estimated_input_tokens,
    sum_actual_input_tokens = aggregate_groups.sum_actual_input_tokens + excluded.sum_actual_input_tokens,
    sum_estimated_output_tokens = aggregate_groups.sum_estimated_output_tokens + excluded.sum_estimated_output_tokens,
    sum_actual_output_tokens = aggregate_groups.sum_actual_output_tokens + excluded.sum_actual_output_tokens,
    gate_passed = aggregate_groups.gate_passed + excluded.gate_passed,
    successes = aggregate_groups.successes + excluded.successes,
    last_updated = GREATEST(aggregate_groups.last_updated, excluded.last_updated)`;

const UPSERT_BINS = `
  INSERT INTO group_bins (group_key, metric, bin, count)
  SELECT * FROM unnest($1::text[], $2::text[], $3::integer[], $4::bigint[]) AS b (group_key, metric, bin, count)
  ORDER BY b.group_key, b.metric, b.bin
  ON CONFLICT (group_key, metric, bin) DO UPDATE SET count = group_bins.count + excluded.count`;

const UPSERT_USAGE = `
  INSERT INTO instance_usage (instance_id, events, first_event_at, last_event_at)
  SELECT * FROM unnest($1::text[], $2::bigint[], $3::timestamptz[], $4::timestamptz[]) AS u (instance_id, events, first_at, last_at)
  ORDER BY u.instance_id
  ON CONFLICT (instance_id) DO UPDATE SET
    events = instance_usage.events + excluded.events,
    first_event_at = LEAST(instance_usage.first_event_at, excluded.first_event_at),
    last_event_at = GREATEST(instance_usage.last_event_at, excluded.last_event_at)`;

/** Doubles for the sums, bigint for the counts: the column types of usage_rollups. */
const ROLLUP_ARRAY_TYPES = [
  ...ROLLUP_SUM_COLUMNS.map(([column]) => (/_tokens|_micros|_ms$/.test(column) ? "float8" : "bigint")),
  ...RATIO_COLUMNS.map(() => "bigint"),
];

/** The rollup upsert: every touched (instance, hour, dimensions) row of the transaction, in key order. */
const UPSERT_ROLLUPS = `
  INSERT INTO usage_rollups (${[...ROLLUP_KEY_COLUMNS, ...ROLLUP_ADDITIVE_COLUMNS].join(", ")})
  SELECT r.* FROM unnest($1::text[], $2::timestamptz[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[],
    ${ROLLUP_ARRAY_TYPES.map((type, i) => `$${i + 9}::${type}[]`).join(", ")})
    AS r (${[...ROLLUP_KEY_COLUMNS, ...ROLLUP_ADDITIVE_COLUMNS].join(", ")})
  ORDER BY ${ROLLUP_KEY_COLUMNS.map((column) => `r.${column}`).join(", ")}
  ON CONFLICT (${ROLLUP_KEY_COLUMNS.join(", ")}) DO UPDATE SET
    ${ROLLUP_ADD_CLAUSE}`;

/** A usage series' sums; sum(bigint) is numeric, read back as a number. */
const SERIES_SUMS = ROLLUP_ADDITIVE_COLUMNS.map((column, i) => `sum(${column}) AS s${i}`).join(", ");

// One statement, so the summary and its bins come from one snapshot (bins sum to events).
const READ_GROUPS = `
  SELECT g.*, (SELECT json_agg(json_build_array(b.metric, b.bin, b.count))
               FROM group_bins b WHERE b.group_key = g.group_key) AS bins
  FROM aggregate_groups g WHERE g.group_key = ANY ($1::text[])`;

/**
 * The bin of each asked quantile: a running count over each (group, metric)'s bins in ascending
 * order, kept where it first passes the rank floor(q * (n - 1)). q is float8 and n - 1 is cast to
 * float8, so the product is the same double as in JS (a numeric product could round otherwise).
 */
const READ_QUANTILE_BINS = `
  WITH wanted AS (SELECT position - 1 AS position, q FROM unnest($2::float8[]) WITH ORDINALITY AS w(q, position)),
  running AS (
    SELECT group_key, metric, bin, count,
      (SUM(count) OVER (PARTITION BY group_key, metric ORDER BY bin ROWS UNBOUNDED PRECEDING))::bigint AS through,
      (SUM(count) OVER (PARTITION BY group_key, metric))::bigint AS total
    FROM group_bins WHERE group_key = ANY ($1::text[]) AND count > 0
  ),
  ranked AS (SELECT r.*, w.position, floor(w.q * (r.total - 1)::float8)::bigint AS rank FROM running r CROSS JOIN wanted w)
  SELECT group_key, metric, position, bin FROM ranked WHERE through - count <= rank AND through > rank`;

/**
 * The scale-out engine: a pg Pool shared by the process; several processes may ingest at once.
 * Ingest is one transaction of a fixed handful of statements, whatever the batch size; calls that
 * arrive while one runs share the next (group commit), each answered after that commit.
 */
export class PostgresStorage implements Storage {
  readonly engine = "postgres" as const;
  readonly #pool: PgPool;
  readonly #migrations: readonly Migration[];
  readonly #ingestQueue: GroupCommit<IngestJob, boolean[]>;
  #closed = false;

  constructor(pool: PgPool, migrations: readonly Migration[] = POSTGRES_MIGRATIONS, options: PostgresStorageOptions = {}) {
    this.#pool = pool;
    this.#migrations = migrations;
    const maxWeight = options.maxEventsPerTransaction ?? DEFAULT_MAX_EVENTS_PER_TRANSACTION;
    this.#ingestQueue = new GroupCommit({
      runTogether: (jobs) => {
        options.onIngestTransaction?.(jobs.length);
        return this.#ingestTogether(jobs);
      },
      // An outage fails every call of the group alike; anything else may be one call's data.
      retryAlone: (error) => !(error instanceof StorageUnavailableError),
      weight: (job) => job.events.length,
      maxWeight,
      maxWaitMs: options.maxQueueWaitMs ?? 5000,
      maxQueuedWeight: maxWeight * QUEUED_TRANSACTIONS,
    });
  }

  /**
   * Applies pending migrations under a transaction-scoped advisory lock: a second process starting
   * at the same moment waits, then finds the schema current. The lock is released by COMMIT, even
   * if the process dies mid-way (and then nothing was applied).
   */
  async applyMigrations(): Promise<MigrationResult> {
    return this.#transaction(async (pooled) => {
      const client = { query: (text: string, values?: unknown[]) => pooled.query({ text, values, query_timeout: MIGRATION_QUERY_TIMEOUT_MS }) };
      await client.query("SELECT pg_advisory_xact_lock($1)", [MIGRATION_LOCK_ID]);
      await client.query(
        "CREATE TABLE IF NOT EXISTS schema_migrations (version integer PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())",
      );
      const current = await client.query("SELECT MAX(version) AS version FROM schema_migrations");
      let version = current.rows[0]?.version === null || current.rows[0]?.version === undefined ? 0 : num(current.rows[0].version);
      const applied: number[] = [];
      for (const migration of this.#migrations) {
        if (migration.version <= version) continue;
        for (const statement of migrationStatements(migration.sql)) await client.query(statement);
        await client.query("INSERT INTO schema_migrations (version, name) VALUES ($1, $2)", [migration.version, migration.name]);
        applied.push(migration.version);
        version = migration.version;
      }
      return { applied, version };
    });
  }

  async migrate(): Promise<void> {
    await this.applyMigrations();
  }

  async ping(): Promise<void> {
    await this.#query("SELECT 1");
  }

  queueDepth(): number {
    return this.#ingestQueue.queued;
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.#pool.end();
  }

  async createInstance(instance: InstanceRecord, firstKey: NewApiKey): Promise<void> {
    await this.#transaction(async (client) => {
      await client.query("INSERT INTO instances (id, name, created_at) VALUES ($1, $2, $3)", [
        instance.id,
        instance.name,
        instance.createdAt,
      ]);
      await insertApiKey(client, firstKey);
    });
  }

  async getInstance(id: string): Promise<InstanceRecord | null> {
    const { rows } = await this.#query("SELECT * FROM instances WHERE id = $1", [id]);
    return rows[0] ? toInstance(rows[0]) : null;
  }

  async listInstances(): Promise<InstanceRecord[]> {
    const { rows } = await this.#query("SELECT * FROM instances ORDER BY created_at, id");
    return rows.map(toInstance);
  }

  async insertApiKey(key: NewApiKey): Promise<void> {
    await this.#guard(() => insertApiKey(this.#pool, key));
  }

  async listApiKeys(instanceId?: string): Promise<ApiKeyRecord[]> {
    const { rows } =
      instanceId === undefined
        ? await this.#query("SELECT * FROM api_keys ORDER BY created_at, id")
        : await this.#query("SELECT * FROM api_keys WHERE instance_id = $1 ORDER BY created_at, id", [instanceId]);
    return rows.map(toApiKey);
  }

  async findApiKeyByHash(hash: string): Promise<ApiKeyRecord | null> {
    const { rows } = await this.#query("SELECT * FROM api_keys WHERE hash = $1", [hash]);
    return rows[0] ? toApiKey(rows[0]) : null;
  }

  async revokeApiKey(id: string, at: Date): Promise<ApiKeyRecord | null> {
    // COALESCE keeps the first revocation time when a key is revoked twice.
    const { rows } = await this.#query(
      "UPDATE api_keys SET revoked_at = COALESCE(revoked_at, $1) WHERE id = $2 RETURNING *",
      [at, id],
    );
    return rows[0] ? toApiKey(rows[0]) : null;
  }

  async ingestEvents(
    instanceId: string,
    events: readonly TaskCompletionEvent[],
    receivedAt: Date,
    payloads?: readonly string[],
  ): Promise<IngestStatus[]> {
    const statuses: IngestStatus[] = events.map(() => "duplicate");
    if (events.length === 0) return statuses;
    if (this.#closed) throw new StorageUnavailableError("PostgreSQL storage is closed");
    const first = [...firstOccurrences(events)];
    const unique = first.map((index) => events[index] as TaskCompletionEvent);
    const uniquePayloads = payloads && first.map((index) => payloads[index] as string);
    const inserted = await this.#ingestQueue.submit({ instanceId, events: unique, payloads: uniquePayloads, receivedAt });
    first.forEach((index, position) => {
      if (inserted[position]) statuses[index] = "accepted";
    });
    return statuses;
  }

  /**
   * One transaction for the ingest calls queued together: each call's events inserted (a copy of
   * a pair an earlier call of the group holds is that call's duplicate), then the aggregates of
   * every accepted event. Per call, per event: whether this transaction inserted it.
   */
  async #ingestTogether(jobs: readonly IngestJob[]): Promise<boolean[][]> {
    return this.#transaction(async (client) => {
      const rows = { instanceIds: [] as string[], eventIds: [] as string[], receivedAts: [] as Date[], timestamps: [] as string[], payloads: [] as string[], costs: [] as number[] };
      const claimed = new Set<string>();
      const sentBy = jobs.map((job) =>
        job.events.map((event, index) => {
          const pair = JSON.stringify([job.instanceId, event.event_id]);
          if (claimed.has(pair)) return false;
          claimed.add(pair);
          rows.instanceIds.push(job.instanceId);
          rows.eventIds.push(event.event_id);
          rows.receivedAts.push(job.receivedAt);
          rows.timestamps.push(event.timestamp);
          rows.payloads.push(job.payloads?.[index] ?? eventPayload(event));
          rows.costs.push(event.actual_cost_usd_micros);
          return true;
        }),
      );
      const result = await client.query(INSERT_EVENTS, [rows.instanceIds, rows.eventIds, rows.receivedAts, rows.timestamps, rows.payloads, rows.costs]);
      // Only events this transaction inserted count: a copy another process stored first is a
      // duplicate here, so the same event reaching two processes is aggregated once.
      const insertedPairs = new Set(result.rows.map((row) => JSON.stringify([row.instance_id, row.event_id])));
      const accepted: AcceptedEvent[] = [];
      const answers = jobs.map((job, j) =>
        job.events.map((event, e) => {
          const ok = sentBy[j]?.[e] === true && insertedPairs.has(JSON.stringify([job.instanceId, event.event_id]));
          if (ok) accepted.push({ instanceId: job.instanceId, event, receivedAt: job.receivedAt });
          return ok;
        }),
      );
      if (accepted.length > 0) await addToAggregates(client, accepted);
      return answers;
    });
  }

  async readGroups(groupKeys: readonly string[]): Promise<Map<string, GroupAggregate>> {
    const result = new Map<string, GroupAggregate>();
    if (groupKeys.length === 0) return result;
    const { rows } = await this.#query(READ_GROUPS, [groupKeys]);
    for (const row of rows) {
      const bins = Object.fromEntries(SKETCH_METRICS.map((metric) => [metric, new Map<number, number>()])) as Record<
        SketchMetric,
        Map<number, number>
      >;
      for (const [metric, bin, count] of (row.bins as [SketchMetric, number, number][] | null) ?? []) {
        bins[metric]?.set(bin, num(count));
      }
      result.set(row.group_key as string, { ...toSummary(row), bins });
    }
    return result;
  }

  async readChildSummaries(parentKeys: readonly string[]): Promise<GroupSummary[]> {
    if (parentKeys.length === 0) return [];
    const { rows } = await this.#query(
      "SELECT * FROM aggregate_groups WHERE parent_key = ANY ($1::text[]) ORDER BY group_key COLLATE \"C\"",
      [parentKeys],
    );
    return rows.map(toSummary);
  }

  async readInstanceCounts(groupKeys: readonly string[]): Promise<Map<string, Map<string, number>>> {
    const result = new Map<string, Map<string, number>>();
    if (groupKeys.length === 0) return result;
    const { rows } = await this.#query(
      "SELECT group_key, instance_id, events FROM group_instances WHERE group_key = ANY ($1::text[])",
      [groupKeys],
    );
    for (const row of rows) {
      const key = row.group_key as string;
      let counts = result.get(key);
      if (!counts) result.set(key, (counts = new Map()));
      counts.set(row.instance_id as string, num(row.events));
    }
    return result;
  }

  async readGroupSummaries(groupKeys: readonly string[]): Promise<Map<string, GroupSummary>> {
    if (groupKeys.length === 0) return new Map();
    const { rows } = await this.#query("SELECT * FROM aggregate_groups WHERE group_key = ANY ($1::text[])", [groupKeys]);
    return new Map(rows.map((row) => [row.group_key as string, toSummary(row)]));
  }

  async readQuantileBins(groupKeys: readonly string[], quantiles: readonly number[]): Promise<Map<string, QuantileBins>> {
    if (groupKeys.length === 0 || quantiles.length === 0) return new Map();
    const { rows } = await this.#query(READ_QUANTILE_BINS, [groupKeys, quantiles]);
    return quantileBinsOf(
      groupKeys,
      quantiles.length,
      rows.map((row) => ({ group_key: row.group_key as string, metric: row.metric as SketchMetric, position: num(row.position), bin: num(row.bin) })),
    );
  }

  async usage(instanceId: string): Promise<InstanceUsage> {
    const { rows } = await this.#query("SELECT * FROM instance_usage WHERE instance_id = $1", [instanceId]);
    const row = rows[0];
    if (!row) return { events: 0, firstEventAt: null, lastEventAt: null };
    return { events: num(row.events), firstEventAt: row.first_event_at as Date, lastEventAt: row.last_event_at as Date };
  }

  async readUsageSeries(query: UsageSeriesQuery): Promise<UsageSeriesRow[]> {
    // groupBy comes from the closed list ROLLUP_DIMENSIONS, never from the caller's text.
    const group = query.groupBy === null ? "NULL::text" : query.groupBy;
    const instance = query.instanceId === null ? "" : "instance_id = $4 AND ";
    const { rows } = await this.#query(
      `SELECT date_bin($1::interval, hour, TIMESTAMPTZ '2000-01-01 00:00:00+00') AS bucket, ${group} AS grp, ${SERIES_SUMS}
       FROM usage_rollups WHERE ${instance}hour >= $2 AND hour < $3 GROUP BY bucket, grp`,
      [query.bucket === "day" ? "1 day" : "1 hour", query.from, query.to, ...(query.instanceId === null ? [] : [query.instanceId])],
    );
    return rows.map((row) => ({
      bucketStart: row.bucket as Date,
      group: (row.grp as string | null) ?? null,
      ...sumsOfValues(ROLLUP_ADDITIVE_COLUMNS.map((_, i) => row[`s${i}`])),
    }));
  }

  async readTopEvents(query: TopEventsQuery): Promise<StoredEvent[]> {
    // The inner query reads only the index (instance_id, "timestamp") INCLUDE (cost_usd_micros);
    // payloads are fetched for the chosen rows alone.
    const instances = query.instanceId === null ? "instance_id IN (SELECT id FROM instances)" : "instance_id = $4";
    const { rows } = await this.#query(
      `SELECT e.instance_id, e.payload::text AS payload FROM events e JOIN (
         SELECT instance_id, event_id, cost_usd_micros, "timestamp" FROM events
         WHERE ${instances} AND "timestamp" >= $1 AND "timestamp" < $2
         ORDER BY cost_usd_micros DESC, "timestamp" DESC LIMIT $3
       ) AS top USING (instance_id, event_id)
       ORDER BY top.cost_usd_micros DESC, top."timestamp" DESC`,
      [query.from, query.to, query.limit, ...(query.instanceId === null ? [] : [query.instanceId])],
    );
    return rows.map((row) => ({ instanceId: row.instance_id as string, event: JSON.parse(row.payload as string) as Record<string, unknown> }));
  }

  async #query(text: string, values?: unknown[]) {
    return this.#guard(() => this.#pool.query(text, values));
  }

  async #guard<T>(work: () => Promise<T>): Promise<T> {
    if (this.#closed) throw new StorageUnavailableError("PostgreSQL storage is closed");
    try {
      return await work();
    } catch (error) {
      throw mapPgError(error);
    }
  }

  /**
   * One client, BEGIN … COMMIT; on failure ROLLBACK, and a client that cannot roll back is
   * destroyed. Key-ordered upserts should make deadlocks impossible; should PostgreSQL still
   * abort the transaction as a deadlock victim or serialization failure, nothing of it was
   * kept, so it is run again (a few times) before the caller sees StorageUnavailableError.
   */
  async #transaction<T>(work: (client: PgPoolClient) => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.#transactionOnce(work);
      } catch (error) {
        const code = ((error as { cause?: { code?: unknown } }).cause ?? {}).code;
        if (attempt >= MAX_TRANSACTION_ATTEMPTS || (code !== "40P01" && code !== "40001")) throw error;
      }
    }
  }

  async #transactionOnce<T>(work: (client: PgPoolClient) => Promise<T>): Promise<T> {
    return this.#guard(async () => {
      const client = await this.#pool.connect();
      let destroy = false;
      // pg-pool stops listening for a client's 'error' while it is checked out; a connection
      // cut between two statements would then be an unhandled 'error' event and kill the
      // process. The failed statement rejects on its own; this only marks the client dead.
      const onConnectionError = () => {
        destroy = true;
      };
      client.on("error", onConnectionError);
      try {
        await client.query("BEGIN");
        const result = await work(client);
        await client.query("COMMIT");
        return result;
      } catch (error) {
        // After a read timeout the connection is stuck behind the unanswered query: a ROLLBACK
        // would only wait out the timeout again. Destroying the connection rolls back as well.
        if (isReadTimeout(error)) destroy = true;
        if (!destroy) {
          await client.query("ROLLBACK").catch(() => {
            destroy = true;
          });
        }
        throw error;
      } finally {
        client.release(destroy);
        client.off("error", onConnectionError);
      }
    });
  }
}

function isReadTimeout(error: unknown): boolean {
  return error instanceof Error && /query read timeout/i.test(error.message);
}

async function insertApiKey(db: PgQueryable, key: NewApiKey): Promise<void> {
  await db.query(
    "INSERT INTO api_keys (id, instance_id, hash, display, created_at, revoked_at, expires_at) VALUES ($1, $2, $3, $4, $5, NULL, $6)",
    [key.id, key.instanceId, key.hash, key.display, key.createdAt, key.expiresAt],
  );
}

/**
 * Upserts the folded deltas of every accepted event of the transaction: five statements for any
 * number of events and instances, each one's rows in key order. Bins and group sums are folded
 * across instances; pairs and usage per instance, and a group's contributors grow by the pairs
 * this transaction created.
 */
async function addToAggregates(client: PgQueryable, accepted: readonly AcceptedEvent[]): Promise<void> {
  const { groups, bins } = foldBatch(accepted.map((item) => item.event));
  const pairs = new Map<string, { groupKey: string; instanceId: string; events: number }>();
  const usage = new Map<string, { events: number; first: Date; last: Date }>();
  // Per group, the newest receivedAt of the events it gains here: a row touched only by an
  // earlier call of the group keeps that call's time, as it would on SQLite.
  const latestByGroup = new Map<string, Date>();
  for (const { instanceId, event, receivedAt } of accepted) {
    for (const level of GROUP_LEVELS) {
      const key = groupKey(event, level);
      const latest = latestByGroup.get(key);
      if (latest === undefined || receivedAt > latest) latestByGroup.set(key, receivedAt);
      const id = JSON.stringify([key, instanceId]);
      const pair = pairs.get(id);
      if (pair) pair.events += 1;
      else pairs.set(id, { groupKey: key, instanceId, events: 1 });
    }
    const used = usage.get(instanceId);
    if (!used) usage.set(instanceId, { events: 1, first: receivedAt, last: receivedAt });
    else {
      used.events += 1;
      if (receivedAt < used.first) used.first = receivedAt;
      if (receivedAt > used.last) used.last = receivedAt;
    }
  }
  // Rollup rows belong to one instance each: written before the shared aggregate rows, in key order.
  const rollups = foldRollups(accepted);
  const values = rollups.map(additiveValues);
  await client.query(UPSERT_ROLLUPS, [
    rollups.map((r) => r.instanceId),
    rollups.map((r) => new Date(r.hourMs)),
    rollups.map((r) => r.provider),
    rollups.map((r) => r.model),
    rollups.map((r) => r.task_type),
    rollups.map((r) => r.complexity),
    rollups.map((r) => r.harness),
    rollups.map((r) => r.outcome),
    ...ROLLUP_ADDITIVE_COLUMNS.map((_, i) => values.map((row) => row[i])),
  ]);
  const pairList = [...pairs.values()];
  const created = await client.query(UPSERT_GROUP_INSTANCES, [
    pairList.map((p) => p.groupKey),
    pairList.map((p) => p.instanceId),
    pairList.map((p) => p.events),
  ]);
  const newContributors = new Map<string, number>();
  for (const row of created.rows) {
    if (row.inserted === true) newContributors.set(row.group_key as string, (newContributors.get(row.group_key as string) ?? 0) + 1);
  }
  await client.query(UPSERT_BINS, [
    bins.map((b) => b.groupKey),
    bins.map((b) => b.metric),
    bins.map((b) => b.bin),
    bins.map((b) => b.count),
  ]);
  await client.query(UPSERT_GROUPS, [
    groups.map((g) => g.groupKey),
    groups.map((g) => g.level),
    groups.map((g) => g.parentKey),
    groups.map((g) => g.events),
    groups.map((g) => newContributors.get(g.groupKey) ?? 0),
    groups.map((g) => g.sumEstimatedInputTokens),
    groups.map((g) => g.sumActualInputTokens),
    groups.map((g) => g.sumEstimatedOutputTokens),
    groups.map((g) => g.sumActualOutputTokens),
    groups.map((g) => g.gatePassed),
    groups.map((g) => g.successes),
    groups.map((g) => latestByGroup.get(g.groupKey)),
  ]);
  const usageList = [...usage.entries()];
  await client.query(UPSERT_USAGE, [
    usageList.map(([id]) => id),
    usageList.map(([, u]) => u.events),
    usageList.map(([, u]) => u.first),
    usageList.map(([, u]) => u.last),
  ]);
}
