import { groupFilter, type GroupDimensions, type PredictionEventRow, type PredictionStore, type StoredSnapshot } from "../prediction-store.js";
import { POSTGRES_DIMENSIONS } from "../prediction-migration.js";
import type { PgQueryResult } from "./postgres-driver.js";

/** The dimension expressions, in the order of the events_dimensions index (migration 4). */
const DIMENSIONS = POSTGRES_DIMENSIONS;

type Query = (text: string, values?: unknown[]) => Promise<PgQueryResult>;

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

  async readSnapshots(groupKeys: readonly string[]): Promise<Map<string, StoredSnapshot>> {
    if (groupKeys.length === 0) return new Map();
    const { rows } = await this.#query("SELECT group_key, computed_at, body FROM prediction_snapshots WHERE group_key = ANY ($1::text[])", [groupKeys]);
    return new Map(rows.map((row) => [row.group_key as string, { groupKey: row.group_key as string, computedAt: new Date(row.computed_at as Date), body: row.body as string }]));
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
    return this.readSnapshots(snapshots.map((snapshot) => snapshot.groupKey));
  }

  async visitGroupEvents(groups: readonly GroupDimensions[], visit: (row: PredictionEventRow) => void): Promise<void> {
    for (const group of groups) for (const row of await this.#read(null, groupFilter(group))) visit(row);
  }

  async visitOwnEvents(instanceId: string, groups: readonly GroupDimensions[], visit: (row: PredictionEventRow) => void): Promise<void> {
    for (const group of groups) for (const row of await this.#read(instanceId, groupFilter(group))) visit(row);
  }

  async visitAllEvents(visit: (row: PredictionEventRow) => void): Promise<void> {
    // Keyset pages on the primary key: each page is one short query, so no transaction or cursor
    // is held open across the whole read.
    let after: [string, string] = ["", ""];
    for (;;) {
      const { rows } = await this.#query(
        "SELECT instance_id, event_id, payload, received_at FROM events WHERE (instance_id, event_id) > ($1, $2) ORDER BY instance_id, event_id LIMIT 5000",
        after,
      );
      for (const row of rows) visit(toEventRow(row));
      if (rows.length < 5000) return;
      const last = rows[rows.length - 1] as Record<string, unknown>;
      after = [last.instance_id as string, last.event_id as string];
    }
  }

  async #read(instanceId: string | null, values: readonly string[]): Promise<PredictionEventRow[]> {
    const expressions = [...(instanceId === null ? [] : ["instance_id"]), ...DIMENSIONS.slice(0, values.length)];
    const params = instanceId === null ? [...values] : [instanceId, ...values];
    const { rows } = await this.#query(
      `SELECT instance_id, payload, received_at FROM events WHERE ${expressions.map((expression, i) => `${expression} = $${i + 1}`).join(" AND ")}`,
      params,
    );
    return rows.map(toEventRow);
  }
}

function toEventRow(row: Record<string, unknown>): PredictionEventRow {
  return {
    instanceId: row.instance_id as string,
    payload: (typeof row.payload === "string" ? JSON.parse(row.payload) : row.payload) as Record<string, unknown>,
    receivedAt: new Date(row.received_at as Date),
  };
}
