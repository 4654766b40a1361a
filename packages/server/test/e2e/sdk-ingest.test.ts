import Database from "better-sqlite3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
// The built SDK, as a user installs it: `npm test` builds packages/client/dist first.
import { Complexity, Harness, Outcome, Provider, QualityGate, TaskType, TelemetryClient } from "../../../client/dist/index.js";
import { storedEvent, type StoredEventRow } from "../../src/storage/sqlite/compact-event.js";
import { createInstance, startLiveServer, usageOf, type CreatedInstance, type LiveServer } from "./live-server.js";

const BATCH = "/v1/events/batch";

/** The guide's Node.js service example: a client from the instance's settings, errors to a list. */
function guideClient(server: LiveServer, instance: { instanceId: string; apiKey: string }, errors: Error[]) {
  return new TelemetryClient({
    serverUrl: server.url,
    apiKey: instance.apiKey,
    instanceId: instance.instanceId,
    onError: (error) => errors.push(error),
  });
}

/** The guide's task event, with a duration that tells the events apart. */
function guideEvent(client: TelemetryClient, durationMs: number) {
  return client.eventBuilder.build({
    task_duration_ms: durationMs,
    task_type: TaskType.IMPLEMENTATION,
    complexity: Complexity.HIGH,
    harness: Harness.CLAUDE_CODE,
    model: "claude-sonnet-4-5-20250929",
    provider: Provider.ANTHROPIC,
    estimated_input_tokens: 200000,
    estimated_output_tokens: 80000,
    actual_input_tokens: 215000,
    actual_output_tokens: 72000,
    estimated_cost_usd_micros: 1200000,
    actual_cost_usd_micros: 1150000,
    quality_gate_passed: true,
    quality_gates_run: [QualityGate.BUILD, QualityGate.LINT, QualityGate.TEST, QualityGate.TYPECHECK],
    quality_gates_failed: [],
    context_compactions: 3,
    context_rotations: 1,
    context_utilization_final: 0.85,
    outcome: Outcome.SUCCESS,
    retry_count: 0,
    language: "typescript",
    repo_size_category: "medium",
  });
}

describe("the built SDK against the real server on loopback (guide's Node.js service example)", () => {
  let server: LiveServer;
  let alpha: CreatedInstance;
  let beta: CreatedInstance;
  beforeAll(async () => {
    server = await startLiveServer();
    alpha = await createInstance(server.url, "alpha");
    beta = await createInstance(server.url, "beta");
  });
  afterAll(async () => server?.close());

  const N = 250;
  const sent: Record<string, unknown>[] = [];

  it(`tracks ${N} events, stop() delivers them, and each is stored exactly once`, async () => {
    const errors: Error[] = [];
    const client = guideClient(server, alpha, errors);
    client.start();
    for (let i = 0; i < N; i++) {
      const event = guideEvent(client, 1000 + i);
      sent.push(event as unknown as Record<string, unknown>);
      client.track(event);
    }
    const result = await client.stop();
    expect(errors).toEqual([]);
    expect(result).toMatchObject({ sent: N, dropped: 0, pending: 0 });
    // 250 events in batches of at most 100: three requests, all 200.
    expect(server.seen(BATCH).map((seen) => seen.status)).toEqual([200, 200, 200]);

    expect((await usageOf(server.url, alpha.instanceId)).events).toBe(N);
    // The table itself: one row per event_id, with the payload the SDK built.
    const rows = readEventRows(server, alpha.instanceId);
    expect(rows.length).toBe(N);
    const byId = new Map(rows.map((row) => [row.event_id, storedEvent(row) as unknown as Record<string, unknown>]));
    expect(byId.size).toBe(N);
    for (const event of sent) expect(byId.get(event["event_id"] as string)).toEqual(event);
  });

  it("the same batch POSTed again is all duplicate, and nothing more is stored", async () => {
    const events = sent.slice(0, 100);
    const answer = await postBatch(server.url, alpha.apiKey, { events });
    expect(answer.status).toBe(200);
    expect(answer.body).toMatchObject({ accepted: 0, duplicates: 100, rejected: 0 });
    expect((answer.body.results as { status: string }[]).every((result) => result.status === "duplicate")).toBe(true);
    expect((await usageOf(server.url, alpha.instanceId)).events).toBe(N);
  });

  it("another instance's key gets 403 once, the SDK reports HTTP 403 and does not retry", async () => {
    const before = server.seen(BATCH).length;
    const errors: Error[] = [];
    // alpha's instance id with beta's key: every event names an instance the key does not own.
    const client = guideClient(server, { instanceId: alpha.instanceId, apiKey: beta.apiKey }, errors);
    client.start();
    client.track(guideEvent(client, 7));
    const result = await client.stop();
    const answered = server.seen(BATCH).slice(before);
    expect(answered.map((seen) => seen.status)).toEqual([403]);
    expect(errors.some((error) => error.message.includes("HTTP 403"))).toBe(true);
    expect(result.sent).toBe(0);
    expect(result.pending).toBe(0);
    expect((await usageOf(server.url, beta.instanceId)).events).toBe(0);
    expect((await usageOf(server.url, alpha.instanceId)).events).toBe(N);
  });

  it("101 events in one raw POST get 400 batch_too_large and none is stored", async () => {
    const client = guideClient(server, beta, []);
    const events = Array.from({ length: 101 }, (_, i) => guideEvent(client, i));
    const answer = await postBatch(server.url, beta.apiKey, { events });
    expect(answer.status).toBe(400);
    expect(answer.body.error.code).toBe("batch_too_large");
    expect(typeof answer.body.error.message).toBe("string");
    expect((await usageOf(server.url, beta.instanceId)).events).toBe(0);
  });
});

// eslint-disable-next-line @typescript-eslint/no-explicit-any
async function postBatch(baseUrl: string, key: string, body: unknown): Promise<{ status: number; body: any }> {
  const response = await fetch(`${baseUrl}${BATCH}`, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${key}` },
    body: JSON.stringify(body),
  });
  return { status: response.status, body: await response.json() };
}

function readEventRows(server: LiveServer, instanceId: string): StoredEventRow[] {
  const db = new Database(server.dbPath as string, { readonly: true, fileMustExist: true });
  try {
    return db.prepare("SELECT instance_id, event_id, timestamp, payload FROM events WHERE instance_id = ?").all(instanceId) as StoredEventRow[];
  } finally {
    db.close();
  }
}
