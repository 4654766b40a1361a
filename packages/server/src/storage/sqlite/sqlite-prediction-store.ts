import { groupFilter, type GroupDimensions, type PredictionEventRow, type PredictionStore, type StoredSnapshot } from "../prediction-store.js";
import { SQLITE_DIMENSIONS } from "../prediction-migration.js";
import type { SqliteDatabase, SqliteStatement } from "./sqlite-driver.js";

/** The dimension expressions, in the order of the events_dimensions index (migration 4). */
const DIMENSIONS = SQLITE_DIMENSIONS;
/** Rows per chunk of a group read: the read yields to the event loop between chunks, so ingest goes on. */
const CHUNK_ROWS = 5_000;

interface EventRow {
  rowid: number;
  instance_id: string;
  payload: string;
  received_at: number;
}

const FIELDS = ["provider", "model", "task_type", "complexity"] as const;

/**
 * The SQLite side of the prediction store. Group reads walk the events_dimensions index in
 * chunks of CHUNK_ROWS (keyset on the index order, which ends with the rowid), yielding between
 * chunks: a snapshot of a large group never holds the connection, and so never holds up ingest,
 * for longer than one chunk.
 */
export class SqlitePredictionStore implements PredictionStore {
  readonly #db: SqliteDatabase;
  readonly #run: <T>(work: () => T) => T;
  readonly #statements = new Map<string, SqliteStatement>();

  constructor(db: SqliteDatabase, run: <T>(work: () => T) => T) {
    this.#db = db;
    this.#run = run;
  }

  async readSnapshots(groupKeys: readonly string[]): Promise<Map<string, StoredSnapshot>> {
    if (groupKeys.length === 0) return new Map();
    const rows = this.#run(() =>
      this.#statement("SELECT group_key, computed_at, body FROM prediction_snapshots WHERE group_key IN (SELECT value FROM json_each(?))").all(JSON.stringify(groupKeys)),
    ) as { group_key: string; computed_at: number; body: string }[];
    return new Map(rows.map((row) => [row.group_key, { groupKey: row.group_key, computedAt: new Date(row.computed_at), body: row.body }]));
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
    return this.readSnapshots(snapshots.map((snapshot) => snapshot.groupKey));
  }

  async visitGroupEvents(groups: readonly GroupDimensions[], visit: (row: PredictionEventRow) => void): Promise<void> {
    for (const group of groups) await this.#readChunked(null, groupFilter(group), visit);
  }

  async visitOwnEvents(instanceId: string, groups: readonly GroupDimensions[], visit: (row: PredictionEventRow) => void): Promise<void> {
    for (const group of groups) await this.#readChunked(instanceId, groupFilter(group), visit);
  }

  async visitAllEvents(visit: (row: PredictionEventRow) => void): Promise<void> {
    let after = 0;
    for (;;) {
      const chunk = this.#run(() =>
        this.#statement(`SELECT rowid, instance_id, payload, received_at FROM events WHERE rowid > ? ORDER BY rowid LIMIT ${CHUNK_ROWS}`).all(after),
      ) as EventRow[];
      for (const row of chunk) visit({ instanceId: row.instance_id, payload: JSON.parse(row.payload) as Record<string, unknown>, receivedAt: new Date(row.received_at) });
      if (chunk.length < CHUNK_ROWS) return;
      after = (chunk[chunk.length - 1] as EventRow).rowid;
      await new Promise<void>((resolve) => setImmediate(resolve));
    }
  }

  /** Reads the events matching `values` (a prefix of the dimensions), of one instance or all, in chunks. */
  async #readChunked(instanceId: string | null, values: readonly string[], visit: (row: PredictionEventRow) => void): Promise<void> {
    const prefix = instanceId === null ? [] : ["instance_id"];
    const conditions = [...prefix, ...DIMENSIONS.slice(0, values.length)].map((expression) => `${expression} = ?`);
    const order = [...DIMENSIONS.slice(values.length), "rowid"];
    // Keyset continuation over the index order after the fixed prefix: (d_k, ..., d_3, rowid) > (...).
    const sql = (continued: boolean): string =>
      `SELECT rowid, instance_id, payload, received_at FROM events WHERE ${conditions.join(" AND ")}
       ${continued ? `AND (${order.join(", ")}) > (${order.map(() => "?").join(", ")})` : ""}
       ORDER BY ${order.join(", ")} LIMIT ${CHUNK_ROWS}`;
    const fixed = instanceId === null ? [...values] : [instanceId, ...values];
    let after: unknown[] | null = null;
    for (;;) {
      const params: unknown[] = after === null ? fixed : [...fixed, ...after];
      const chunk = this.#run(() => this.#statement(sql(after !== null)).all(...params)) as EventRow[];
      let payload: Record<string, unknown> = {};
      for (const row of chunk) {
        payload = JSON.parse(row.payload) as Record<string, unknown>;
        visit({ instanceId: row.instance_id, payload, receivedAt: new Date(row.received_at) });
      }
      if (chunk.length < CHUNK_ROWS) return;
      // The keyset continues after the last row: its dimensions as json_extract reads them (the
      // parsed payload's strings, without a second parse in SQL), then its rowid.
      const last = chunk[chunk.length - 1] as EventRow;
      after = [...FIELDS.slice(values.length).map((field) => payload[field]), last.rowid];
      await new Promise<void>((resolve) => setImmediate(resolve));
    }
  }

  #statement(sql: string): SqliteStatement {
    let statement = this.#statements.get(sql);
    if (statement === undefined) this.#statements.set(sql, (statement = this.#db.prepare(sql)));
    return statement;
  }
}
