import { freshDatabase, type EngineName } from "../helpers/engines.js";
import { startLiveServer, type LiveServer, type LiveServerOptions } from "./live-server.js";

/** A live server on one engine, and a way to read stored event payloads back with plain SQL. */
export interface EngineServer {
  server: LiveServer;
  /** The stored payload of an event, parsed, or undefined when it is not stored. */
  storedEvent(instanceId: string, eventId: string): Promise<Record<string, unknown> | undefined>;
  /** The stored payload of an event as text, or undefined when it is not stored. */
  storedText(instanceId: string, eventId: string): Promise<string | undefined>;
  close(): Promise<void>;
}

/** The live server on a fresh database of `engine` (see helpers/engines.ts). */
export async function startOn(engine: EngineName, options: Omit<LiveServerOptions, "target"> = {}): Promise<EngineServer> {
  const database = await freshDatabase(engine, "live");
  const server = await startLiveServer({ ...options, target: database.target });
  const payload = engine === "sqlite" ? "payload" : "payload::text AS payload";
  const storedText = async (instanceId: string, eventId: string): Promise<string | undefined> => {
    const rows = await database.query<{ payload: string }>(`SELECT ${payload} FROM events WHERE instance_id = ? AND event_id = ?`, [instanceId, eventId]);
    return rows[0]?.payload;
  };
  return {
    server,
    storedText,
    async storedEvent(instanceId, eventId) {
      const text = await storedText(instanceId, eventId);
      return text === undefined ? undefined : (JSON.parse(text) as Record<string, unknown>);
    },
    async close() {
      await server.close();
      await database.drop();
    },
  };
}
