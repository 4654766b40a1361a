import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
// The built SDK, as a user installs it: `npm test` builds packages/client/dist first.
import { TelemetryClient, type TelemetryError } from "../../../client/dist/index.js";
import { ensureBuilt, spawnServer, type SpawnedServer } from "../cluster/spawned-server.js";
import { createInstance, type CreatedInstance } from "./live-server.js";

// Issue 10 against the real server process: killed (SIGKILL) in the middle of a send and
// restarted on the same port and data, the SDK with its spool loses nothing and the server
// stores every event once. Time bounds are liveness bounds, not speed assertions.
const ADMIN = `sdk-faults-admin-${randomBytes(16).toString("hex")}`;

/** A port free now on 127.0.0.1, so a restarted server can come back on it. */
async function freePort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, "127.0.0.1", resolve));
  const port = (probe.address() as { port: number }).port;
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  return port;
}

function event(client: TelemetryClient, durationMs: number) {
  return client.eventBuilder.build({
    task_duration_ms: durationMs,
    task_type: "implementation",
    complexity: "medium",
    harness: "claude_code",
    model: "claude-sonnet-4-5-20250929",
    provider: "anthropic",
    estimated_input_tokens: 1000,
    estimated_output_tokens: 500,
    actual_input_tokens: 1100,
    actual_output_tokens: 450,
    estimated_cost_usd_micros: 20_000,
    actual_cost_usd_micros: 21_000,
    quality_gate_passed: true,
    quality_gates_run: [],
    quality_gates_failed: [],
    context_compactions: 0,
    context_rotations: 0,
    context_utilization_final: 0.4,
    outcome: "success",
    retry_count: 0,
  });
}

async function usage(url: string, instanceId: string): Promise<number> {
  const response = await fetch(`${url}/v1/admin/instances/${instanceId}/usage`, { headers: { authorization: `Bearer ${ADMIN}` } });
  return ((await response.json()) as { events: number }).events;
}

describe("the built SDK against the real server process, killed and restarted", () => {
  const dataDir = mkdtempSync(join(tmpdir(), "mosaic-sdk-faults-"));
  const spoolDir = join(dataDir, "spool");
  let port: number;
  let server: SpawnedServer;
  let instance: CreatedInstance;
  const start = (): Promise<SpawnedServer> => spawnServer({ DATA_DIR: dataDir, TELEMETRY_ADMIN_TOKEN: ADMIN, PORT: String(port) });

  beforeAll(async () => {
    ensureBuilt();
    port = await freePort();
    server = await start();
    instance = await createInstance(server.url, "faults", ADMIN);
  });
  afterAll(async () => {
    await server?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it("SIGKILL of the server mid-send, restart: stop() delivers all 2,000, each stored once", async () => {
    const errors: TelemetryError[] = [];
    const client = new TelemetryClient({
      serverUrl: server.url,
      apiKey: instance.apiKey,
      instanceId: instance.instanceId,
      spoolDir,
      maxRetries: 1,
      stopTimeoutMs: 30_000,
      sendOnExit: false,
      onError: (error) => errors.push(error),
    });
    for (let i = 0; i < 2_000; i++) client.track(event(client, 1_000 + i));
    const firstSend = client.flush();
    // Kill the server once it has answered a first batch, while the next ones are on the wire,
    // and keep it down for a while.
    while (client.getStats().sent === 0) await new Promise((resolve) => setImmediate(resolve));
    server.child.kill("SIGKILL");
    await server.stop();
    const cut = await firstSend;
    expect(cut.sent).toBeGreaterThan(0);
    expect(cut.pending).toBeGreaterThan(0);
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    server = await start();

    const result = await client.stop();
    expect(result).toEqual({ sent: 2_000, dropped: 0, pending: 0, reason: null });
    expect(await usage(server.url, instance.instanceId)).toBe(2_000);
    // The outage was heard of once, at its first failure; its end was not an error.
    expect(errors.filter((e) => e.code === "network_error").length).toBeLessThanOrEqual(1);
    expect(errors.filter((e) => e.code !== "network_error")).toEqual([]);
  }, 60_000);

  it("a key of another shape than the server's reaches it and gets its 401", async () => {
    const errors: TelemetryError[] = [];
    const client = new TelemetryClient({
      serverUrl: server.url,
      apiKey: "sk-another-issuer-0123456789",
      instanceId: instance.instanceId,
      sendOnExit: false,
      onError: (error) => errors.push(error),
    });
    client.track(event(client, 5));
    expect(await client.stop()).toMatchObject({ sent: 0, dropped: 1, pending: 0 });
    expect(errors.map((e) => e.message)).toEqual([expect.stringMatching(/^HTTP 401: unauthorized/)]);
  });
});
