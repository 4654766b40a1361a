import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { FastifyInstance } from "fastify";
import { buildApp } from "../../server/src/app.js";
import { createPredictor } from "../../server/src/predictions/predictor.js";
import { openStorage } from "../../server/src/storage/open-storage.js";

/**
 * The production app on a real SQLite file, listening on loopback, serving the built dashboard.
 * Predictions need 2 contributing instances here instead of 5, so two seeded instances make one.
 */

export const ADMIN_TOKEN = "dashboard-admin-token-" + "0123456789abcdef".repeat(2);

export interface DashboardServer {
  app: FastifyInstance;
  url: string;
  close(): Promise<void>;
}

export async function startDashboardServer(): Promise<DashboardServer> {
  const dir = mkdtempSync(join(tmpdir(), "mosaic-dashboard-"));
  const storage = await openStorage({ engine: "sqlite", path: join(dir, "telemetry.db") });
  const app = await buildApp({
    config: { bodyLimitBytes: 1024 * 1024, rateLimits: { eventsPerMinute: 1_000_000, predictionsPerMinute: 1_000_000 }, logLevel: "silent" },
    storage,
    predictor: createPredictor(storage, { minEvents: 10, minContributors: 2 }),
    adminToken: ADMIN_TOKEN,
    logger: false,
  });
  const url = await app.listen({ port: 0, host: "127.0.0.1" });
  return {
    app,
    url,
    async close() {
      await app.close();
      await storage.close().catch(() => undefined);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
