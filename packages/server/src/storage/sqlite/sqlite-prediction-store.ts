import type { InstanceAggregate } from "../../aggregation/instance-aggregate.js";
import type { GroupInstanceAggregates, PredictionStore, SnapshotRead, StoredSnapshot } from "../prediction-store.js";
import type { SqliteDatabase, SqliteStatement } from "./sqlite-driver.js";
import { instanceAggregateOfValues, type AggregateValues } from "./sqlite-rows.js";
import { AGGREGATE_COLUMNS, KEYS_PARAM } from "./sqlite-sql.js";

/**
 * Rows per chunk of the read of every aggregate: it yields to the event loop between chunks, so
 * ingest goes on. 500, not more: a chunk's rows stay alive until their groups are computed, and
 * with 2,000 the young-generation collections that copied them held the loop for 40-100 ms
 * (docs/benchmarks/server-predictions.md).
 */
export const AGGREGATE_CHUNK_ROWS = 500;

/** A lease given back is held until the epoch: run out at any clock. */
const RELEASED_UNTIL_MS = 0;

/**
 * The SQLite side of the prediction store: snapshots, and the (group, instance) aggregates kept
 * at ingest. A group's aggregates are one range of the primary key; the read of every aggregate
 * walks the key in chunks of AGGREGATE_CHUNK_ROWS, yielding between chunks, so a refresh of
 * every group never holds the connection, and so never holds up ingest, for longer than one chunk.
 */
export class SqlitePredictionStore implements PredictionStore {
  readonly #db: SqliteDatabase;
  readonly #run: <T>(work: () => T) => T;
  readonly #statements = new Map<string, SqliteStatement>();

  constructor(db: SqliteDatabase, run: <T>(work: () => T) => T) {
    this.#db = db;
    this.#run = run;
  }

  async readSnapshots(groupKeys: readonly string[]): Promise<SnapshotRead> {
    // The store's clock (clock()), free here: SQLite's reads carry it whatever they find.
    const readAt = new Date();
    if (groupKeys.length === 0) return { snapshots: new Map(), readAt };
    const rows = this.#run(() =>
      this.#statement(`SELECT group_key, computed_at, body FROM prediction_snapshots WHERE group_key IN ${KEYS_PARAM}`).all(JSON.stringify(groupKeys)),
    ) as { group_key: string; computed_at: number; body: string }[];
    return { snapshots: new Map(rows.map((row) => [row.group_key, { groupKey: row.group_key, computedAt: new Date(row.computed_at), body: row.body }])), readAt };
  }

  // The store's clock is the host's: the processes on one SQLite file share it.
  async clock(): Promise<Date> {
    return new Date();
  }

  async saveSnapshots(snapshots: readonly StoredSnapshot[], staleBefore: Date): Promise<Map<string, StoredSnapshot>> {
    this.#run(() => {
      const upsert = this.#statement(
        `INSERT INTO prediction_snapshots (group_key, computed_at, body) VALUES (?, ?, ?)
         ON CONFLICT (group_key) DO UPDATE SET computed_at = excluded.computed_at, body = excluded.body
         WHERE prediction_snapshots.computed_at <= ?`,
      );
      // One short transaction of a few rows; other processes' writes on the file wait for it.
      this.#db.exec("SAVEPOINT prediction_snapshots");
      try {
        for (const snapshot of snapshots) upsert.run(snapshot.groupKey, snapshot.computedAt.getTime(), snapshot.body, staleBefore.getTime());
        this.#db.exec("RELEASE prediction_snapshots");
      } catch (error) {
        this.#db.exec("ROLLBACK TO prediction_snapshots");
        this.#db.exec("RELEASE prediction_snapshots");
        throw error;
      }
    });
    return (await this.readSnapshots(snapshots.map((snapshot) => snapshot.groupKey))).snapshots;
  }

  async noiseKey(candidate: string): Promise<string> {
    return this.#run(() => {
      this.#statement("INSERT INTO prediction_noise_key (id, key) VALUES (1, ?) ON CONFLICT DO NOTHING").run(candidate);
      return (this.#statement("SELECT key FROM prediction_noise_key WHERE id = 1").get() as { key: string }).key;
    });
  }

  // The lease's clock is the host's, as the snapshots' (readSnapshots).
  async takeRefreshLease(forMs: number, now: Date = new Date()): Promise<Date | null> {
    const taken = this.#run(() =>
      this.#statement(
        `INSERT INTO prediction_refresh_lease (id, held_until) VALUES (1, ?)
         ON CONFLICT (id) DO UPDATE SET held_until = excluded.held_until WHERE prediction_refresh_lease.held_until <= ?
         RETURNING held_until`,
      ).get(now.getTime() + forMs, now.getTime()),
    ) as { held_until: number } | undefined;
    return taken === undefined ? null : new Date(taken.held_until);
  }

  async renewRefreshLease(lease: Date, forMs: number, now: Date = new Date()): Promise<Date | null> {
    const renewed = this.#run(() =>
      this.#statement("UPDATE prediction_refresh_lease SET held_until = ? WHERE id = 1 AND held_until = ? RETURNING held_until").get(now.getTime() + forMs, lease.getTime()),
    ) as { held_until: number } | undefined;
    return renewed === undefined ? null : new Date(renewed.held_until);
  }

  async releaseRefreshLease(lease: Date): Promise<void> {
    this.#run(() => this.#statement(`UPDATE prediction_refresh_lease SET held_until = ${RELEASED_UNTIL_MS} WHERE id = 1 AND held_until = ?`).run(lease.getTime()));
  }

  async readInstanceAggregates(groupKeys: readonly string[]): Promise<Map<string, InstanceAggregate[]>> {
    const result = new Map<string, InstanceAggregate[]>();
    if (groupKeys.length === 0) return result;
    const rows = this.#run(() =>
      this.#rawStatement(`SELECT ${AGGREGATE_COLUMNS} FROM instance_aggregates WHERE group_key IN ${KEYS_PARAM}`).all(JSON.stringify(groupKeys)),
    ) as AggregateValues[];
    for (const row of rows) {
      let instances = result.get(row[0]);
      if (instances === undefined) result.set(row[0], (instances = []));
      instances.push(instanceAggregateOfValues(row));
    }
    return result;
  }

  async readOwnAggregates(instanceId: string, groupKeys: readonly string[]): Promise<Map<string, InstanceAggregate>> {
    if (groupKeys.length === 0) return new Map();
    const rows = this.#run(() =>
      this.#rawStatement(`SELECT ${AGGREGATE_COLUMNS} FROM instance_aggregates WHERE group_key IN ${KEYS_PARAM} AND instance_id = ?`).all(JSON.stringify(groupKeys), instanceId),
    ) as AggregateValues[];
    return new Map(rows.map((row) => [row[0], instanceAggregateOfValues(row)]));
  }

  async *readAllInstanceAggregates(): AsyncGenerator<GroupInstanceAggregates> {
    const first = `SELECT ${AGGREGATE_COLUMNS} FROM instance_aggregates ORDER BY group_key, instance_id LIMIT ${AGGREGATE_CHUNK_ROWS}`;
    const next = `SELECT ${AGGREGATE_COLUMNS} FROM instance_aggregates WHERE (group_key, instance_id) > (?, ?) ORDER BY group_key, instance_id LIMIT ${AGGREGATE_CHUNK_ROWS}`;
    let after: [string, string] | null = null;
    // The group being read: handed over once the key moves on, so a group split by a chunk's end comes whole.
    let current: GroupInstanceAggregates | null = null;
    for (;;) {
      const cursor = after;
      // Raw rows (arrays): a chunk's rows cost the driver no object per row.
      const rows = this.#run(() => (cursor === null ? this.#rawStatement(first).all() : this.#rawStatement(next).all(...cursor))) as AggregateValues[];
      const done: GroupInstanceAggregates[] = [];
      for (const row of rows) {
        if (current === null || current.groupKey !== row[0]) {
          if (current !== null) done.push(current);
          current = { groupKey: row[0], instances: [] };
        }
        current.instances.push(instanceAggregateOfValues(row));
      }
      yield* done;
      if (rows.length < AGGREGATE_CHUNK_ROWS) break;
      const last = rows[rows.length - 1] as AggregateValues;
      after = [last[0], last[1]];
      await new Promise<void>((resolve) => setImmediate(resolve));
    }
    if (current !== null) yield current;
  }

  /** A statement of its own (not shared with #statement's) that returns raw rows. */
  #rawStatement(sql: string): SqliteStatement {
    const key = `raw:${sql}`;
    let statement = this.#statements.get(key);
    if (statement === undefined) this.#statements.set(key, (statement = this.#db.prepare(sql).raw(true)));
    return statement;
  }

  #statement(sql: string): SqliteStatement {
    let statement = this.#statements.get(sql);
    if (statement === undefined) this.#statements.set(sql, (statement = this.#db.prepare(sql)));
    return statement;
  }
}
