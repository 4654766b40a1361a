import Database from "better-sqlite3";
import { createTestSchema } from "../helpers/postgres-schema.js";
import { startLiveServer, type LiveServer, type LiveServerOptions } from "./live-server.js";

export const PG_URL = process.env["MOSAIC_TEST_DATABASE_URL"];

/** A live server on one engine, and a way to read stored event payloads back with plain SQL. */
export interface EngineServer {
  server: LiveServer;
  /** The stored payload of an event, parsed, or undefined when it is not stored. */
  storedEvent(instanceId: string, eventId: string): Promise<Record<string, unknown> | undefined>;
  /** The stored payload of an event as text, or undefined when it is not stored. */
  storedText(instanceId: string, eventId: string): Promise<string | undefined>;
  close(): Promise<void>;
}

export type EngineName = "sqlite" | "postgres";

/** The engines to run on: SQLite always, PostgreSQL when MOSAIC_TEST_DATABASE_URL is set. */
export const ENGINES: { name: EngineName; skip: string | null }[] = [
  { name: "sqlite", skip: null },
  { name: "postgres", skip: PG_URL ? null : "MOSAIC_TEST_DATABASE_URL is unset" },
];

export async function startOn(engine: EngineName, options: Omit<LiveServerOptions, "target"> = {}): Promise<EngineServer> {
  if (engine === "sqlite") {
    const server = await startLiveServer(options);
    const storedText = (instanceId: string, eventId: string): Promise<string | undefined> => {
      const db = new Database(server.dbPath as string, { readonly: true, fileMustExist: true });
      try {
        const row = db.prepare("SELECT payload FROM events WHERE instance_id = ? AND event_id = ?").get(instanceId, eventId) as
          | { payload: string }
          | undefined;
        return Promise.resolve(row?.payload);
      } finally {
        db.close();
      }
    };
    return { server, storedText, storedEvent: parsedBy(storedText), close: () => server.close() };
  }
  const schema = await createTestSchema(PG_URL as string, "sec");
  const server = await startLiveServer({ ...options, target: { engine: "postgres", url: schema.url } });
  const storedText = async (instanceId: string, eventId: string): Promise<string | undefined> => {
    const result = await schema.admin.query<{ payload: string }>(
      `SELECT payload::text AS payload FROM ${schema.name}.events WHERE instance_id = $1 AND event_id = $2`,
      [instanceId, eventId],
    );
    return result.rows[0]?.payload;
  };
  return {
    server,
    storedText,
    storedEvent: parsedBy(storedText),
    async close() {
      await server.close();
      await schema.drop();
    },
  };
}

function parsedBy(
  storedText: (instanceId: string, eventId: string) => Promise<string | undefined>,
): (instanceId: string, eventId: string) => Promise<Record<string, unknown> | undefined> {
  return async (instanceId, eventId) => {
    const text = await storedText(instanceId, eventId);
    return text === undefined ? undefined : (JSON.parse(text) as Record<string, unknown>);
  };
}
