import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Writable } from "node:stream";
import { startServer, type RunningServer } from "../../src/cli/serve.js";
import { createPredictor } from "../../src/predictions/predictor.js";
import { makeEvent, postJson, request, type Json } from "../http/test-server.js";

export const FAULT_ADMIN_TOKEN = "fault-test-admin-token-0123456789";

/** A server started the way main.js starts it (startServer, env), with its log lines kept. */
export interface LoggedServer {
  server: RunningServer;
  url: string;
  logs: string[];
  /** Parsed log lines at `level` (pino numbers: 40 warn, 30 info) whose message matches. */
  lines(level: number, message: RegExp): Json[];
}

export async function startLoggedServer(env: Record<string, string>): Promise<LoggedServer> {
  const logs: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      logs.push(...chunk.toString("utf8").split("\n").filter((line) => line !== ""));
      callback();
    },
  });
  const server = await startServer({
    env: { HOST: "127.0.0.1", PORT: "0", TELEMETRY_ADMIN_TOKEN: FAULT_ADMIN_TOKEN, LOG_LEVEL: "info", ...env },
    createPredictor,
    logger: { stream, level: "info" },
  });
  return {
    server,
    url: server.url,
    logs,
    lines: (level, message) =>
      logs
        .map((line) => JSON.parse(line) as Json)
        .filter((line) => line.level === level && message.test(String(line.msg))),
  };
}

const tempDirs: string[] = [];

/** A fresh data folder (SQLite file) that several servers can share; removeTempDirs deletes it. */
export function sharedSqliteEnv(): Record<string, string> {
  const dir = mkdtempSync(join(tmpdir(), "mosaic-faults-"));
  tempDirs.push(dir);
  return { DATA_DIR: dir, DATABASE_URL: `sqlite:${join(dir, "telemetry.db")}` };
}

/** Deletes every folder sharedSqliteEnv made in this test file (call once its servers stopped). */
export function removeTempDirs(): void {
  for (const dir of tempDirs.splice(0)) rmSync(dir, { recursive: true, force: true });
}

/** Creates an instance through the admin API; returns its id and first key. */
export async function createInstance(url: string, name = "fault"): Promise<{ instanceId: string; key: string; keyId: string }> {
  const created = await postJson(`${url}/v1/admin/instances`, FAULT_ADMIN_TOKEN, { name });
  if (created.status !== 201) throw new Error(`instance not created: ${created.status} ${JSON.stringify(created.body)}`);
  return { instanceId: created.body.instance.id, key: created.body.api_key.key, keyId: created.body.api_key.id };
}

export async function revokeKey(url: string, keyId: string): Promise<number> {
  return (await request("DELETE", `${url}/v1/admin/keys/${keyId}`, FAULT_ADMIN_TOKEN)).status;
}

/** Sends one event with `key`; returns the HTTP status. */
export async function sendOne(url: string, key: string, instanceId: string): Promise<number> {
  return (await postJson(`${url}/v1/events/batch`, key, { events: [makeEvent(instanceId)] })).status;
}

export async function readyz(url: string): Promise<{ status: number; body: Json }> {
  return request("GET", `${url}/readyz`, null);
}
