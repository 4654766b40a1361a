import type { FastifyInstance } from "fastify";
import { buildApp, type AppDeps } from "../../src/app.js";
import { openStorage } from "../../src/storage/open-storage.js";
import type { Storage } from "../../src/storage/storage.js";
import { logCapture } from "../helpers/log-capture.js";
import { ADMIN_TOKEN, noDataPredictor, seedInstance } from "./test-server.js";

/** An app called in-process (inject) over in-memory SQLite, with a seeded instance and its log lines. */
export interface InProcessApp {
  app: FastifyInstance;
  storage: Storage;
  logs: string[];
  instanceId: string;
  apiKey: string;
  close(): Promise<void>;
}

export async function inProcessApp(options: { config?: Partial<AppDeps["config"]>; now?: () => Date; redisHealth?: AppDeps["redisHealth"] } = {}): Promise<InProcessApp> {
  const storage = await openStorage({ engine: "sqlite", path: ":memory:" });
  const { stream, logs } = logCapture();
  const app = await buildApp({
    config: { bodyLimitBytes: 1024 * 1024, rateLimits: { eventsPerMinute: 600, predictionsPerMinute: 300 }, logLevel: "info", ...options.config },
    storage,
    predictor: noDataPredictor,
    adminToken: ADMIN_TOKEN,
    logger: { stream, level: "info" },
    ...(options.now ? { now: options.now } : {}),
    ...(options.redisHealth ? { redisHealth: options.redisHealth } : {}),
  });
  const seeded = await seedInstance(storage, "seeded");
  return {
    app,
    storage,
    logs,
    instanceId: seeded.instanceId,
    apiKey: seeded.apiKey,
    async close() {
      await app.close();
      await storage.close();
    },
  };
}
