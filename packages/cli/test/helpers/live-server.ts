import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { buildApp, createPredictor, openStorage } from "@mosaicstack/telemetry-server";
import type { TaskCompletionEvent } from "@mosaicstack/telemetry-protocol";

const ADMIN_TOKEN = "cli-test-admin-token-" + "0123456789abcdef".repeat(2);

/**
 * The real server (packages/server's build) in this process on 127.0.0.1:<free port>, over a
 * SQLite file in a temp folder. `down()` closes it and `up()` opens it again on the same file
 * (on a new port): how the tests take the server away from a hook and give it back.
 */
export interface LiveServer {
  url: string;
  instanceId: string;
  apiKey: string;
  /** Every event the server received in an events request, in order (whatever it answered). */
  received: TaskCompletionEvent[];
  /** Events stored for the instance, from the admin API. */
  storedCount(): Promise<number>;
  /** Sends events straight to the API (to seed predictions). */
  post(events: TaskCompletionEvent[]): Promise<void>;
  down(): Promise<void>;
  up(): Promise<void>;
  close(): Promise<void>;
}

export async function startLiveServer(): Promise<LiveServer> {
  const dir = mkdtempSync(join(tmpdir(), "mosaic-cli-server-"));
  const dbPath = join(dir, "telemetry.db");
  const received: TaskCompletionEvent[] = [];
  let running: { close(): Promise<void>; url: string } | null = null;

  const up = async (): Promise<void> => {
    const storage = await openStorage({ engine: "sqlite", path: dbPath });
    const app = await buildApp({
      config: { bodyLimitBytes: 1024 * 1024, rateLimits: { eventsPerMinute: 1_000_000, predictionsPerMinute: 1_000_000 }, logLevel: "info" },
      storage,
      // One test instance, as a team running its own server: the crowd never has the contributor
      // minimum, so predictions come from the instance's own history (exact, current).
      predictor: createPredictor(storage, { minEvents: 10, minContributors: 5 }),
      adminToken: ADMIN_TOKEN,
      logger: false,
    });
    app.addHook("preHandler", async (request) => {
      if (request.url === "/v1/events/batch" && typeof request.body === "object" && request.body !== null) {
        received.push(...((request.body as { events?: TaskCompletionEvent[] }).events ?? []));
      }
    });
    const url = await app.listen({ port: 0, host: "127.0.0.1" });
    running = {
      url,
      async close() {
        await app.close();
        await storage.close();
      },
    };
    server.url = url;
  };

  const admin = async (path: string, init: RequestInit = {}): Promise<unknown> => {
    const response = await fetch(`${server.url}${path}`, {
      ...init,
      headers: { "content-type": "application/json", authorization: `Bearer ${ADMIN_TOKEN}` },
    });
    if (!response.ok) throw new Error(`${path}: HTTP ${response.status}`);
    return response.json();
  };

  const server: LiveServer = {
    url: "",
    instanceId: "",
    apiKey: "",
    received,
    async storedCount() {
      return ((await admin(`/v1/admin/instances/${server.instanceId}/usage`)) as { events: number }).events;
    },
    async post(events) {
      const response = await fetch(`${server.url}/v1/events/batch`, {
        method: "POST",
        headers: { "content-type": "application/json", authorization: `Bearer ${server.apiKey}` },
        body: JSON.stringify({ events }),
      });
      if (response.status !== 200) throw new Error(`seeding events: HTTP ${response.status}`);
    },
    async down() {
      await running?.close();
      running = null;
    },
    up,
    async close() {
      await running?.close();
      running = null;
      rmSync(dir, { recursive: true, force: true });
    },
  };
  await up();
  const created = (await admin("/v1/admin/instances", { method: "POST", body: JSON.stringify({ name: "cli-tests" }) })) as {
    instance: { id: string };
    api_key: { key: string };
  };
  server.instanceId = created.instance.id;
  server.apiKey = created.api_key.key;
  return server;
}
