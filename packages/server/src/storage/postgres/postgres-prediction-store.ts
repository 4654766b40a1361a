import type { InstanceAggregate } from "../../aggregation/instance-aggregate.js";
import type { GroupInstanceAggregates, PredictionStore, SnapshotRead, StoredSnapshot } from "../prediction-store.js";
import type { PgQueryResult } from "./postgres-driver.js";
import { toInstanceAggregate } from "./postgres-rows.js";
import { READ_INSTANCE_AGGREGATES, READ_OWN_AGGREGATES, readAggregatePageSql } from "./postgres-sql.js";

type Query = (text: string, values?: unknown[]) => Promise<PgQueryResult>;

/**
 * Aggregate rows per page of the read of every aggregate: each page is one short query. 500, as
 * SQLite's chunk (AGGREGATE_CHUNK_ROWS), for the same reason: a page's rows stay alive until their
 * groups are computed, and with 2,000 the young-generation collections that copied them held the
 * event loop for 40-100 ms (docs/benchmarks/server-predictions.md, measured on SQLite).
 */
export const AGGREGATE_PAGE_ROWS = 500;

/**
 * The stored snapshots of $1, each row with the database's clock: the clock comes with the read
 * (no second round trip). A form that always returns a row (a join on a one-row clock) would
 * carry it when nothing is stored too, but its planning made a snapshot read about 25 µs slower
 * (of ~120 µs over loopback), the column about 7 µs; and where nothing is stored, the clock is
 * needed only to stamp a group's first snapshot (clock()).
 */
const READ_SNAPSHOTS = "SELECT clock_timestamp() AS now, group_key, computed_at, body FROM prediction_snapshots WHERE group_key = ANY ($1::text[])";

/**
 * The lease's clock, read once per statement: the database's (clock_timestamp(), the one clock
 * every server process of a deployment shares, whatever its host's says), or $1 in tests.
 */
const LEASE_CLOCK = "clock AS (SELECT coalesce($1::timestamptz, clock_timestamp()) AS now)";
/**
 * The lease's end, $2 ms from the clock: cut to whole milliseconds, so the end a process holds
 * (a JavaScript Date) names the stored one exactly.
 */
const LEASE_END = "date_trunc('milliseconds', clock.now + $2::double precision * interval '1 millisecond')";

/**
 * The PostgreSQL side of the prediction store. Several server processes may refresh one group at
 * once: the conditional upsert lets the first committed snapshot of an interval stand, and every
 * process answers with what is stored, so all of them serve the same snapshot.
 */
export class PostgresPredictionStore implements PredictionStore {
  readonly #query: Query;

  constructor(query: Query) {
    this.#query = query;
  }

  async readSnapshots(groupKeys: readonly string[]): Promise<SnapshotRead> {
    if (groupKeys.length === 0) return { snapshots: new Map(), readAt: null };
    const { rows } = await this.#query(READ_SNAPSHOTS, [groupKeys]);
    const snapshots = new Map(rows.map((row) => [row.group_key as string, { groupKey: row.group_key as string, computedAt: new Date(row.computed_at as Date), body: row.body as string }]));
    return { snapshots, readAt: rows.length === 0 ? null : new Date(rows[0]?.now as Date) };
  }

  async clock(): Promise<Date> {
    const { rows } = await this.#query("SELECT clock_timestamp() AS now");
    return new Date(rows[0]?.now as Date);
  }

  async noiseKey(candidate: string): Promise<string> {
    // One statement: the stored key, or the candidate stored now (a no-op update returns the row).
    const { rows } = await this.#query(
      "INSERT INTO prediction_noise_key (id, key) VALUES (1, $1) ON CONFLICT (id) DO UPDATE SET key = prediction_noise_key.key RETURNING key",
      [candidate],
    );
    return (rows[0] as { key: string }).key;
  }

  async takeRefreshLease(forMs: number, now?: Date): Promise<Date | null> {
    // A second process's upsert waits for the first one's row lock, then finds the lease held.
    const { rows } = await this.#query(
      `WITH ${LEASE_CLOCK}
       INSERT INTO prediction_refresh_lease (id, held_until) SELECT 1, ${LEASE_END} FROM clock
       ON CONFLICT (id) DO UPDATE SET held_until = excluded.held_until WHERE prediction_refresh_lease.held_until <= (SELECT now FROM clock)
       RETURNING held_until`,
      [now?.toISOString() ?? null, forMs],
    );
    return rows.length === 0 ? null : new Date(rows[0]?.held_until as Date);
  }

  async renewRefreshLease(lease: Date, forMs: number, now?: Date): Promise<Date | null> {
    const { rows } = await this.#query(
      `WITH ${LEASE_CLOCK}
       UPDATE prediction_refresh_lease SET held_until = ${LEASE_END} FROM clock WHERE id = 1 AND held_until = $3
       RETURNING held_until`,
      [now?.toISOString() ?? null, forMs, lease.toISOString()],
    );
    return rows.length === 0 ? null : new Date(rows[0]?.held_until as Date);
  }

  async releaseRefreshLease(lease: Date): Promise<void> {
    // Held until -infinity: run out at any clock.
    await this.#query("UPDATE prediction_refresh_lease SET held_until = '-infinity' WHERE id = 1 AND held_until = $1", [lease.toISOString()]);
  }

  async saveSnapshots(snapshots: readonly StoredSnapshot[], staleBefore: Date): Promise<Map<string, StoredSnapshot>> {
    if (snapshots.length > 0) {
      // One statement for all rows: a single transaction, rows locked in key order.
      const sorted = [...snapshots].sort((a, b) => (a.groupKey < b.groupKey ? -1 : a.groupKey > b.groupKey ? 1 : 0));
      await this.#query(
        `INSERT INTO prediction_snapshots (group_key, computed_at, body)
         SELECT * FROM unnest($1::text[], $2::timestamptz[], $3::text[])
         ON CONFLICT (group_key) DO UPDATE SET computed_at = excluded.computed_at, body = excluded.body
         WHERE prediction_snapshots.computed_at <= $4`,
        [sorted.map((s) => s.groupKey), sorted.map((s) => s.computedAt.toISOString()), sorted.map((s) => s.body), staleBefore.toISOString()],
      );
    }
    return (await this.readSnapshots(snapshots.map((snapshot) => snapshot.groupKey))).snapshots;
  }

  async readInstanceAggregates(groupKeys: readonly string[]): Promise<Map<string, InstanceAggregate[]>> {
    const result = new Map<string, InstanceAggregate[]>();
    if (groupKeys.length === 0) return result;
    const { rows } = await this.#query(READ_INSTANCE_AGGREGATES, [groupKeys]);
    for (const row of rows) {
      const key = row.group_key as string;
      let instances = result.get(key);
      if (instances === undefined) result.set(key, (instances = []));
      instances.push(toInstanceAggregate(row));
    }
    return result;
  }

  async readOwnAggregates(instanceId: string, groupKeys: readonly string[]): Promise<Map<string, InstanceAggregate>> {
    if (groupKeys.length === 0) return new Map();
    const { rows } = await this.#query(READ_OWN_AGGREGATES, [groupKeys, instanceId]);
    return new Map(rows.map((row) => [row.group_key as string, toInstanceAggregate(row)]));
  }

  async *readAllInstanceAggregates(): AsyncGenerator<GroupInstanceAggregates> {
    // Keyset pages on the primary key: no transaction or cursor is held open across the read.
    let after: [string, string] | null = null;
    let current: GroupInstanceAggregates | null = null;
    for (;;) {
      const { rows } = await this.#query(readAggregatePageSql(after !== null, AGGREGATE_PAGE_ROWS), after ?? []);
      const done: GroupInstanceAggregates[] = [];
      for (const row of rows) {
        const key = row.group_key as string;
        if (current === null || current.groupKey !== key) {
          if (current !== null) done.push(current);
          current = { groupKey: key, instances: [] };
        }
        current.instances.push(toInstanceAggregate(row));
      }
      yield* done;
      if (rows.length < AGGREGATE_PAGE_ROWS) break;
      const last = rows[rows.length - 1] as Record<string, unknown>;
      after = [last.group_key as string, last.instance_id as string];
    }
    if (current !== null) yield current;
  }
}
