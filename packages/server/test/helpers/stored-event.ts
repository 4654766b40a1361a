import { storedEvent, type StoredEventRow } from "../../src/storage/sqlite/compact-event.js";
import type { EngineDatabase, EngineName } from "./engines.js";

/** An event's stored row read with plain SQL (SQLite: the columns its compact payload leaves out too), or undefined. */
export async function readStoredRow(database: EngineDatabase, engine: EngineName, instanceId: string, eventId: string): Promise<StoredEventRow | undefined> {
  const columns = engine === "sqlite" ? "instance_id, event_id, timestamp, payload" : "instance_id, event_id, payload::text AS payload";
  return (await database.query<StoredEventRow>(`SELECT ${columns} FROM events WHERE instance_id = ? AND event_id = ?`, [instanceId, eventId]))[0];
}

/** The event a stored row holds, read as its engine reads it: SQLite's compact array (compact-event.ts), PostgreSQL's JSON object. */
export function eventOfRow(engine: EngineName, row: StoredEventRow): Record<string, unknown> {
  return (engine === "sqlite" ? storedEvent(row) : JSON.parse(row.payload)) as Record<string, unknown>;
}
