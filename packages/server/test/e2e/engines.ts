import { freshDatabase, type EngineName } from "../helpers/engines.js";
import { eventOfRow, readStoredRow } from "../helpers/stored-event.js";
import { startLiveServer, type LiveServer, type LiveServerOptions } from "./live-server.js";

/** A live server on one engine, and a way to read stored event payloads back with plain SQL. */
export interface EngineServer {
  server: LiveServer;
  /** The stored event, read back as its engine reads it, or undefined when it is not stored. */
  storedEvent(instanceId: string, eventId: string): Promise<Record<string, unknown> | undefined>;
  /** The stored payload of an event as text (SQLite: compact-event.ts), or undefined when it is not stored. */
  storedText(instanceId: string, eventId: string): Promise<string | undefined>;
  close(): Promise<void>;
}

/** The live server on a fresh database of `engine` (see helpers/engines.ts). */
export async function startOn(engine: EngineName, options: Omit<LiveServerOptions, "target"> = {}): Promise<EngineServer> {
  const database = await freshDatabase(engine, "live");
  const server = await startLiveServer({ ...options, target: database.target });
  return {
    server,
    async storedText(instanceId, eventId) {
      return (await readStoredRow(database, engine, instanceId, eventId))?.payload;
    },
    async storedEvent(instanceId, eventId) {
      const row = await readStoredRow(database, engine, instanceId, eventId);
      return row === undefined ? undefined : eventOfRow(engine, row);
    },
    async close() {
      await server.close();
      await database.drop();
    },
  };
}
