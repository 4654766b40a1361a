import { randomUUID } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { FastifyInstance } from "fastify";
import type { PredictionQuery, PredictionResponse, TaskCompletionEvent } from "@mosaicstack/telemetry-protocol";
import { buildApp, type AppDeps } from "../../src/app.js";
import { generateApiKey } from "../../src/auth/api-key-generator.js";
import type { Predictor } from "../../src/routes/predictions-routes.js";
import { openStorage } from "../../src/storage/open-storage.js";
import { makeEvent as makeStoredEvent } from "../storage/storage-fixtures.js";
import type { Storage } from "../../src/storage/storage.js";
import { logCapture } from "../helpers/log-capture.js";

export const ADMIN_TOKEN = "test-admin-token-0123456789abcdef";

/**
 * The app over a real SQLite file in a temp dir (or the storage given), with a seeded instance:
 * in-process for route tests (`inProcess`, called with `inject`/`injectJson`/`injectRequest`), or
 * listening on 127.0.0.1:<free port> for the tests whose behaviour needs a socket.
 */
export interface TestServer {
  app: FastifyInstance;
  url: string;
  storage: Storage;
  /** Every log line written, for "no secret in logs" checks. */
  logs: string[];
  /** A seeded instance and its key. */
  instanceId: string;
  apiKey: string;
  apiKeyId: string;
  close(): Promise<void>;
}

export interface TestServerOptions {
  config?: Partial<AppDeps["config"]>;
  predictor?: Predictor;
  now?: () => Date;
  storage?: Storage;
  adminToken?: string | null;
  /** Route tests: no socket; call the app with `inject`/`injectJson`/`injectRequest` (url is then ""). */
  inProcess?: boolean;
  /** What /readyz and /metrics report about Redis (none: Redis is not configured). */
  redisHealth?: AppDeps["redisHealth"];
}

/** A predictor that answers "no data" for every query: enough for the route's shape. */
export const noDataPredictor: Predictor = {
  async predict(queries: PredictionQuery[]): Promise<PredictionResponse[]> {
    return queries.map((query) => ({
      query,
      prediction: null,
      metadata: { sample_size: 0, contributors: 0, fallback_level: -1, dimensions: [], confidence: "none", last_updated: null },
    }));
  },
};

export async function startTestServer(options: TestServerOptions = {}): Promise<TestServer> {
  const dir = mkdtempSync(join(tmpdir(), "mosaic-http-"));
  const storage = options.storage ?? (await openStorage({ engine: "sqlite", path: join(dir, "telemetry.db") }));
  const { stream, logs } = logCapture();
  const app = await buildApp({
    config: {
      bodyLimitBytes: 1024 * 1024,
      rateLimits: { eventsPerMinute: 600, predictionsPerMinute: 300 },
      logLevel: "info",
      ...options.config,
    },
    storage,
    predictor: options.predictor ?? noDataPredictor,
    adminToken: options.adminToken === undefined ? ADMIN_TOKEN : options.adminToken,
    logger: { stream, level: "info" },
    ...(options.now ? { now: options.now } : {}),
    ...(options.redisHealth ? { redisHealth: options.redisHealth } : {}),
  });
  const address = options.inProcess ? "" : await app.listen({ port: 0, host: "127.0.0.1" });
  const seeded = await seedInstance(storage, "seeded");
  return {
    app,
    url: address,
    storage,
    logs,
    instanceId: seeded.instanceId,
    apiKey: seeded.apiKey,
    apiKeyId: seeded.apiKeyId,
    async close() {
      await app.close();
      await storage.close().catch(() => undefined);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Creates an instance straight in storage, with its first key. */
export async function seedInstance(storage: Storage, name: string): Promise<{ instanceId: string; apiKey: string; apiKeyId: string }> {
  const instanceId = randomUUID();
  const createdAt = new Date();
  const { key, record } = generateApiKey(instanceId, createdAt);
  await storage.createInstance({ id: instanceId, name, createdAt }, record);
  return { instanceId, apiKey: key, apiKeyId: record.id };
}

/** A valid event of `instanceId` (storage-fixtures' event); overrides may break it on purpose. */
export function makeEvent(instanceId: string, overrides: Partial<Record<keyof TaskCompletionEvent, unknown>> = {}): Record<string, unknown> {
  return { ...makeStoredEvent(instanceId), ...overrides };
}

/** A parsed JSON answer: tests read into it freely and assert each field they rely on. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Json = any;

/** POSTs JSON with a bearer token and returns status, headers and parsed body. */
export async function postJson(
  url: string,
  token: string | null,
  body: unknown,
  headers: Record<string, string> = {},
): Promise<{ status: number; headers: Headers; body: Json }> {
  const response = await fetch(url, {
    method: "POST",
    headers: {
      "content-type": "application/json",
      ...(token === null ? {} : { authorization: `Bearer ${token}` }),
      ...headers,
    },
    body: typeof body === "string" || body instanceof Uint8Array ? body : JSON.stringify(body),
  });
  return { status: response.status, headers: response.headers, body: await parse(response) };
}

export async function request(
  method: string,
  url: string,
  token: string | null,
): Promise<{ status: number; headers: Headers; body: Json }> {
  const response = await fetch(url, { method, headers: token === null ? {} : { authorization: `Bearer ${token}` } });
  return { status: response.status, headers: response.headers, body: await parse(response) };
}

async function parse(response: Response): Promise<Json> {
  const text = await response.text();
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

/** An answer read back the same way over a socket or in-process. */
export type Answer = { status: number; headers: Headers; body: Json };

/** One in-process request (see `inject`). */
export interface InjectOptions {
  /** @default "GET", or "POST" when there is a body */
  method?: string;
  /** Sent as `Authorization: Bearer <token>`; null or absent sends no credential. */
  token?: string | null;
  /** JSON-encoded unless a string or bytes, which go as they are (`Content-Type: application/json` either way unless `headers` says otherwise). */
  body?: unknown;
  headers?: Record<string, string>;
  /** The client's address as the app sees it (the auth-failure throttle counts per address). @default "127.0.0.1" */
  remoteAddress?: string;
}

/**
 * Calls the app in-process (Fastify inject: no socket, same routing, hooks and serialisation) and
 * reads the answer as `request`/`postJson` do: status, headers, parsed body (text if not JSON).
 */
export async function inject(app: FastifyInstance, path: string, options: InjectOptions = {}): Promise<Answer> {
  const { token = null, body, headers = {}, remoteAddress } = options;
  const payload = body === undefined ? undefined : typeof body === "string" || body instanceof Uint8Array ? Buffer.from(body) : JSON.stringify(body);
  const response = await app.inject({
    method: (options.method ?? (payload === undefined ? "GET" : "POST")) as "GET",
    url: path,
    headers: {
      ...(payload === undefined ? {} : { "content-type": "application/json" }),
      ...(token === null ? {} : { authorization: `Bearer ${token}` }),
      ...headers,
    },
    ...(payload === undefined ? {} : { payload }),
    ...(remoteAddress === undefined ? {} : { remoteAddress }),
  });
  const answerHeaders = new Headers();
  for (const [name, value] of Object.entries(response.headers)) {
    if (value !== undefined) answerHeaders.set(name, Array.isArray(value) ? value.join(", ") : String(value));
  }
  let parsed: Json;
  try {
    parsed = JSON.parse(response.body);
  } catch {
    parsed = response.body;
  }
  return { status: response.statusCode, headers: answerHeaders, body: parsed };
}

/** `request` in-process: same answer shape. */
export async function injectRequest(app: FastifyInstance, method: string, path: string, token: string | null): Promise<Answer> {
  return inject(app, path, { method, token });
}

/** `postJson` in-process: same answer shape. */
export async function injectJson(app: FastifyInstance, path: string, token: string | null, body: unknown, headers: Record<string, string> = {}): Promise<Answer> {
  return inject(app, path, { method: "POST", token, body, headers });
}
