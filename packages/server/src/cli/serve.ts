import type { FastifyInstance } from "fastify";
import { buildApp, type AppDeps } from "../app.js";
import { ApiKeyCache } from "../auth/api-key-cache.js";
import { connectCluster, type ClusterParts } from "../cluster/connect-cluster.js";
import { DeferredLog } from "../cluster/deferred-log.js";
import { resolveAdminToken } from "../config/admin-token-file.js";
import { ConfigError } from "../config/config-error.js";
import { loadConfig, type Env, type ServerConfig } from "../config/config.js";
import { makeDataDirOwnerOnly } from "../config/data-dir.js";
import type { Predictor } from "../predictions/predictor.js";
import { leaseCheckEveryMs, startSnapshotRefresher, type SnapshotRefresher } from "../predictions/snapshot-refresher.js";
import { openStorage } from "../storage/open-storage.js";
import type { Storage } from "../storage/storage.js";

/** How long a graceful shutdown may take before the process exits anyway. */
export const SHUTDOWN_DEADLINE_MS = 10_000;

export type PredictorFactory = (storage: Storage, thresholds: ServerConfig["predictions"]) => Predictor;

export interface RunningServer {
  app: FastifyInstance;
  config: ServerConfig;
  storage: Storage;
  /** The address listened on, e.g. http://127.0.0.1:8000 */
  url: string;
  /** Stops accepting, finishes in-flight requests, closes storage. Idempotent. */
  stop(): Promise<void>;
}

/**
 * Reads the configuration, opens (and migrates) storage, builds the app and listens.
 * Throws ConfigError for a wrong setting; the caller decides how to exit.
 */
export async function startServer(options: {
  env: Env;
  cwd?: string;
  createPredictor: PredictorFactory;
  /**
   * Parts to swap in (a Redis rate-limit client, a cross-node revocation notifier, a key cache).
   * Unset, and REDIS_URL set: connected here (src/cluster/) and closed by stop().
   */
  appDeps?: Pick<AppDeps, "keyCache" | "revocations" | "rateLimitRedis" | "redisHealth">;
  /** Log destination instead of stdout (tests read the log). */
  logger?: AppDeps["logger"];
}): Promise<RunningServer> {
  const config = loadConfig(options.env, options.cwd === undefined ? {} : { cwd: options.cwd });
  makeDataDirOwnerOnly(config.dataDir);
  const admin = resolveAdminToken(config);
  let storage: Storage;
  try {
    storage = await openStorage(config.storage, {
      ...config.database,
      // pg's message, never the error object: it could carry connection details.
      onIdleConnectionError: (error) => process.stderr.write(`storage: idle connection error: ${error.message}\n`),
    });
  } catch (error) {
    throw new StartupError(`storage (${config.storage.engine}) could not be opened: ${(error as Error).message}`);
  }
  const clusterLog = new DeferredLog();
  const keyCache = options.appDeps?.keyCache ?? new ApiKeyCache({ ttlMs: config.apiKeyCacheTtlMs });
  let cluster: ClusterParts | null = null;
  if (options.appDeps === undefined && config.redisUrl !== null) {
    cluster = await connectCluster({ url: config.redisUrl, keyPrefix: config.redisKeyPrefix, keyCache, log: clusterLog });
  }
  let app: FastifyInstance;
  let predictor: Predictor;
  try {
    predictor = options.createPredictor(storage, config.predictions);
    app = await buildApp({
      config,
      storage,
      predictor,
      adminToken: admin.token,
      keyCache,
      ...(options.logger !== undefined ? { logger: options.logger } : {}),
      ...(options.appDeps ?? cluster?.appDeps ?? {}),
    });
  } catch (error) {
    await cluster?.close();
    await storage.close();
    throw error;
  }
  if (admin.source === "env") {
    app.log.info("admin token: from TELEMETRY_ADMIN_TOKEN");
  } else {
    // The path only: the token itself never goes to a log.
    app.log.info({ adminTokenFile: admin.source.file }, admin.source.created ? "admin token generated" : "admin token read");
  }
  clusterLog.attach(app.log);
  let url: string;
  try {
    const first = await app.listen({ port: config.port, host: config.host });
    // "localhost" listens on each loopback address it resolves to; Fastify returns the first
    // (http://127.0.0.1:8000), but the name is what serves both, so the line gives the name.
    url = config.host === "localhost" ? first.replace(/^http:\/\/.+:(\d+)$/, "http://localhost:$1") : first;
  } catch (error) {
    await app.close();
    await cluster?.close();
    await storage.close();
    throw new StartupError(`cannot listen on ${config.host}:${config.port}: ${(error as Error).message}`);
  }
  // The one "listening" line (Fastify's own, one per address, are dropped: http/log-destination.ts).
  app.log.info({ url, storage: config.storage.engine, redis: config.redisUrl === null ? "off" : "on" }, `Mosaic Telemetry API v1 listening on ${url}`);

  // Every group's snapshot recomputed once per interval by one process (the lease), so queries
  // rarely pay for a refresh; stopped before storage closes.
  let refresher: SnapshotRefresher | null = null;
  if (config.predictions.backgroundRefresh && predictor.refreshAll !== undefined) {
    const refreshAll = predictor.refreshAll.bind(predictor);
    refresher = startSnapshotRefresher({ store: storage, intervalMs: config.predictions.snapshotIntervalMs, refresh: refreshAll, log: app.log });
    app.log.info({ checkEveryMs: leaseCheckEveryMs(config.predictions.snapshotIntervalMs) }, "prediction snapshots: refreshed in the background");
  } else {
    app.log.info("prediction snapshots: no background refresh (queries refresh stale snapshots)");
  }

  let stopping: Promise<void> | null = null;
  const stop = () => {
    stopping ??= (async () => {
      try {
        await refresher?.stop();
        await app.close();
      } finally {
        // Redis after the app: requests in flight still count and may publish a revocation.
        await cluster?.close();
        await storage.close();
      }
    })();
    return stopping;
  };
  return { app, config, storage, url, stop };
}

/** A start that failed for a reason worth one line to the operator, not a stack. */
export class StartupError extends Error {
  override readonly name = "StartupError";
}

/**
 * The process entry of `main.js` and `mosaic-telemetry serve`: start, then on SIGTERM/SIGINT
 * stop accepting, finish in-flight requests, close storage and exit 0. A second signal or
 * SHUTDOWN_DEADLINE_MS without finishing exits 1 at once.
 */
export async function runServerProcess(createPredictor: PredictorFactory, env: Env = process.env): Promise<void> {
  let server: RunningServer;
  try {
    server = await startServer({ env, createPredictor });
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`mosaic-telemetry: configuration error: ${error.message}\n`);
      process.exit(1);
    }
    if (error instanceof StartupError) {
      process.stderr.write(`mosaic-telemetry: ${error.message}\n`);
      process.exit(1);
    }
    throw error;
  }
  let signalled = false;
  const onSignal = (signal: NodeJS.Signals) => {
    if (signalled) {
      server.app.log.warn({ signal }, "second signal: exiting now");
      process.exit(1);
    }
    signalled = true;
    server.app.log.info({ signal }, "shutting down: finishing in-flight requests");
    const deadline = setTimeout(() => {
      server.app.log.error("shutdown deadline passed: exiting now");
      process.exit(1);
    }, SHUTDOWN_DEADLINE_MS);
    deadline.unref();
    server.stop().then(
      () => {
        server.app.log.info("stopped");
        process.exit(0);
      },
      (error: unknown) => {
        process.stderr.write(`mosaic-telemetry: shutdown failed: ${(error as Error).message}\n`);
        process.exit(1);
      },
    );
  };
  process.on("SIGTERM", onSignal);
  process.on("SIGINT", onSignal);
}
