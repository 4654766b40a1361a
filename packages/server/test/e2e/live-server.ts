import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { FastifyInstance } from "fastify";
import { buildApp } from "../../src/app.js";
import { createPredictor } from "../../src/predictions/predictor.js";
import { openStorage, type StorageTarget } from "../../src/storage/open-storage.js";
import type { Storage } from "../../src/storage/storage.js";
import { logCapture } from "../helpers/log-capture.js";
import { seededSnapshotNoise } from "../helpers/seeded-noise.js";

export const LIVE_ADMIN_TOKEN = "live-admin-token-" + "0123456789abcdef".repeat(2);

/** One request as the server saw it, recorded when its answer went out. */
export interface SeenRequest {
  method: string;
  url: string;
  status: number;
}

/**
 * The production app (real predictor, real SQLite file in a temp dir unless `target` says
 * otherwise) listening on 127.0.0.1:<free port>, with a log of every request it answered and
 * every log line it wrote: what end-to-end and security tests assert on.
 */
export interface LiveServer {
  app: FastifyInstance;
  url: string;
  storage: Storage;
  /** The SQLite file, or null on PostgreSQL: tests read rows back from it. */
  dbPath: string | null;
  requests: SeenRequest[];
  logs: string[];
  /** Requests answered on `path` (query string ignored). */
  seen(path: string): SeenRequest[];
  close(): Promise<void>;
}

export interface LiveServerOptions {
  target?: StorageTarget;
  bodyLimitBytes?: number;
  eventsPerMinute?: number;
  predictionsPerMinute?: number;
  /** @default "info", as in production */
  logLevel?: "trace" | "debug" | "info";
  /** @default 30, as in production; 0 turns the auth-failure throttle off */
  authFailuresPerMinute?: number;
  requestTimeoutMs?: number;
  refusedBodyTimeoutMs?: number;
}

export async function startLiveServer(options: LiveServerOptions = {}): Promise<LiveServer> {
  const dir = mkdtempSync(join(tmpdir(), "mosaic-live-"));
  const target = options.target ?? { engine: "sqlite", path: join(dir, "telemetry.db") };
  const storage = await openStorage(target);
  const { stream, logs } = logCapture();
  const app = await buildApp({
    config: {
      bodyLimitBytes: options.bodyLimitBytes ?? 1024 * 1024,
      rateLimits: {
        eventsPerMinute: options.eventsPerMinute ?? 1_000_000,
        predictionsPerMinute: options.predictionsPerMinute ?? 1_000_000,
      },
      logLevel: options.logLevel ?? "info",
      ...(options.authFailuresPerMinute === undefined ? {} : { authFailuresPerMinute: options.authFailuresPerMinute }),
      ...(options.requestTimeoutMs === undefined ? {} : { requestTimeoutMs: options.requestTimeoutMs }),
      ...(options.refusedBodyTimeoutMs === undefined ? {} : { refusedBodyTimeoutMs: options.refusedBodyTimeoutMs }),
    },
    storage,
    // Seeded noise at a fixed snapshot time: the crowd's noisy answers are the same in every run,
    // so a test's tolerance cannot be crossed by an unlucky draw.
    predictor: createPredictor(storage, undefined, { noise: seededSnapshotNoise("live-server"), now: () => new Date("2026-12-01T10:00:00.000Z") }),
    adminToken: LIVE_ADMIN_TOKEN,
    logger: { stream, level: options.logLevel ?? "info" },
  });
  const requests: SeenRequest[] = [];
  app.addHook("onResponse", async (request, reply) => {
    requests.push({ method: request.method, url: request.url, status: reply.statusCode });
  });
  const url = await app.listen({ port: 0, host: "127.0.0.1" });
  return {
    app,
    url,
    storage,
    dbPath: target.engine === "sqlite" ? target.path : null,
    requests,
    logs,
    seen: (path) => requests.filter((seen) => seen.url.split("?")[0] === path),
    async close() {
      await app.close();
      await storage.close().catch(() => undefined);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** What the admin API answers when an instance is created: its id and its first key. */
export interface CreatedInstance {
  instanceId: string;
  apiKey: string;
  apiKeyId: string;
}

/** Creates an instance through the admin API (as an operator would), failing loudly otherwise. */
export async function createInstance(baseUrl: string, name: string, token = LIVE_ADMIN_TOKEN): Promise<CreatedInstance> {
  const response = await fetch(`${baseUrl}/v1/admin/instances`, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${token}` },
    body: JSON.stringify({ name }),
  });
  const body = (await response.json()) as { instance: { id: string }; api_key: { key: string; id: string } };
  if (response.status !== 201) throw new Error(`creating instance ${name}: HTTP ${response.status} ${JSON.stringify(body)}`);
  return { instanceId: body.instance.id, apiKey: body.api_key.key, apiKeyId: body.api_key.id };
}

/** The usage figures of an instance through the admin API. */
export async function usageOf(baseUrl: string, instanceId: string): Promise<{ events: number }> {
  const response = await fetch(`${baseUrl}/v1/admin/instances/${instanceId}/usage`, {
    headers: { authorization: `Bearer ${LIVE_ADMIN_TOKEN}` },
  });
  if (response.status !== 200) throw new Error(`usage of ${instanceId}: HTTP ${response.status}`);
  return (await response.json()) as { events: number };
}
