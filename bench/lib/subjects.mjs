/**
 * The things measured side by side, each behind the same face:
 *   ready()      resolves once the library is set up (segment registers its plugins async),
 *   track()      records the shared event once (what the caller pays per call),
 *   processed()  in "hold" mode, how many tracked events the library has fully taken in so far
 *                (both peers finish a call in promise or timer callbacks after track() returns),
 *   close()      ends the subject; in "deliver" mode it resolves once everything is sent.
 *
 * Modes:
 *   "hold"    nothing is sent while the bench runs (per-call cost, retained heap). The SDK is
 *             created enabled but not started, with a queue too big to evict; the peers get a
 *             flushAt and queue size of ten million and no flush timer.
 *   "deliver" everything is sent to the sink in batches of 100 (delivered events/s).
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { EVENT_FIELDS, INSTANCE_ID, SCHEMA_VERSION } from "./event-fields.mjs";

export const SUBJECT_NAMES = ["floor", "floor-spread", "sdk", "sdk-spool", "posthog", "segment"];

/** The delivery bench's subjects: the floor cannot deliver, the fetch loop can only deliver. */
export const DELIVERY_SUBJECT_NAMES = ["fetch-loop", "sdk", "sdk-spool", "posthog", "segment"];

/** Whether a subject needs the built SDK. */
export const isSdkSubject = (name) => name === "sdk" || name === "sdk-spool";

const HUGE = 10_000_000;
const DAY_MS = 86_400_000;
const CLOSE_TIMEOUT_MS = 120_000;

/**
 * The floor's event: the caller's 22 fields and the four envelope fields in ONE object literal,
 * the cheapest way to make it on V8 (every event shares one hidden class). The targets are
 * judged against this floor.
 */
function floorEvent() {
  const f = EVENT_FIELDS;
  return {
    event_id: globalThis.crypto.randomUUID(),
    instance_id: INSTANCE_ID,
    schema_version: SCHEMA_VERSION,
    timestamp: new Date().toISOString(),
    task_duration_ms: f.task_duration_ms,
    task_type: f.task_type,
    complexity: f.complexity,
    harness: f.harness,
    model: f.model,
    provider: f.provider,
    estimated_input_tokens: f.estimated_input_tokens,
    estimated_output_tokens: f.estimated_output_tokens,
    actual_input_tokens: f.actual_input_tokens,
    actual_output_tokens: f.actual_output_tokens,
    estimated_cost_usd_micros: f.estimated_cost_usd_micros,
    actual_cost_usd_micros: f.actual_cost_usd_micros,
    quality_gate_passed: f.quality_gate_passed,
    quality_gates_run: f.quality_gates_run,
    quality_gates_failed: f.quality_gates_failed,
    context_compactions: f.context_compactions,
    context_rotations: f.context_rotations,
    context_utilization_final: f.context_utilization_final,
    outcome: f.outcome,
    retry_count: f.retry_count,
    language: f.language,
    repo_size_category: f.repo_size_category,
  };
}

/**
 * The floor as the earlier runs wrote it (spread, then the four envelope fields). Kept beside
 * the floor for comparison with those runs: on Node 20 (V8 11.3) such a spread gives every
 * event its own hidden class, which costs time and about 780 bytes per event.
 */
function floorSpreadEvent() {
  return {
    ...EVENT_FIELDS,
    event_id: globalThis.crypto.randomUUID(),
    timestamp: new Date().toISOString(),
    instance_id: INSTANCE_ID,
    schema_version: SCHEMA_VERSION,
  };
}

/** The floor: what any SDK must at least do per event (give it an id, a time and the envelope). */
function createFloor(makeEvent) {
  let queue = [];
  return {
    track() {
      queue.push(makeEvent());
    },
    ready: async () => {},
    processed: () => queue.length,
    async close() {
      queue = [];
    },
  };
}

/**
 * The delivery floor: floor events, then on close() the same 100-event batches POSTed with
 * fetch one after another, each response read to the end (as a client must, to learn the
 * per-event results). No retries, no timers: the least a sender can do.
 */
function createFetchLoop({ loaded, sinkUrl }) {
  const events = [];
  const url = `${sinkUrl}/v1/events/batch`;
  const headers = {
    authorization: `Bearer ${loaded?.apiKey ?? "msk_not_built"}`,
    "content-type": "application/json",
  };
  return {
    track() {
      events.push(floorEvent());
    },
    ready: async () => {},
    processed: () => events.length,
    async close() {
      for (let start = 0; start < events.length; start += 100) {
        const body = JSON.stringify({ events: events.slice(start, start + 100) });
        const response = await globalThis.fetch(url, { method: "POST", headers, body });
        await response.json();
        if (!response.ok) throw new Error(`fetch loop: HTTP ${response.status}`);
      }
      events.length = 0;
    },
  };
}

/**
 * The SDK; with `spool`, with `spoolDir` in a fresh folder of the machine's temp dir (its disk),
 * so every tracked event is also written to the spool file once per event-loop turn.
 */
function createSdk({ loaded, sinkUrl, mode }, spool = false) {
  const errors = [];
  const spoolDir = spool ? mkdtempSync(join(tmpdir(), "mosaic-bench-spool-")) : undefined;
  const client = new loaded.sdk.TelemetryClient({
    spoolDir,
    // The spool must not evict while a round holds its events, as the queue must not.
    spoolMaxBytes: spool ? Number.MAX_SAFE_INTEGER : undefined,
    sendOnExit: false,
    serverUrl: sinkUrl,
    apiKey: loaded.apiKey,
    instanceId: INSTANCE_ID,
    batchSize: 100,
    maxQueueSize: HUGE,
    maxQueueBytes: Number.MAX_SAFE_INTEGER,
    // stop() must be allowed to send 50k events; its 5 s default is for a shutting-down app. In
    // "hold" mode nothing is to be sent: stop() only closes the spool (a zero deadline sends nothing).
    stopTimeoutMs: mode === "deliver" ? CLOSE_TIMEOUT_MS : 0,
    onError: (error) => errors.push(error),
  });
  if (mode === "deliver") client.start();
  return {
    client,
    errors,
    track() {
      client.track(client.eventBuilder.build(EVENT_FIELDS));
    },
    ready: async () => {},
    // track() is synchronous: what getStats() counts as queued is all there is.
    processed: () => client.getStats().queued,
    async close() {
      // In "hold" mode the client was never started and nothing is sent: drop it unsent. With a
      // spool it is stopped (off the clock, sending nothing) so that its file is closed.
      if (mode === "deliver" || spool) await client.stop();
      if (spoolDir !== undefined) rmSync(spoolDir, { recursive: true, force: true });
    },
  };
}

async function createPosthog({ sinkUrl, mode }) {
  const { PostHog } = await import("posthog-node");
  const hold = mode === "hold";
  const client = new PostHog("phc_benchmarkprojecttoken", {
    host: sinkUrl,
    flushAt: hold ? HUGE : 100,
    maxBatchSize: 100,
    maxQueueSize: HUGE,
    // 0 = no flush timer at all (posthog-core arms it only when flushInterval is truthy).
    flushInterval: hold ? 0 : 10_000,
    fetchRetryCount: 0,
  });
  client.on("error", () => {});
  return {
    client,
    ready: async () => {},
    // capture() queues in a promise callback; the in-memory queue is what it has taken in.
    // (getPersistedProperty is public API of posthog-core; "queue" is its memory-queue key.)
    processed: () => (client.getPersistedProperty("queue") ?? []).length,
    track() {
      client.capture({ distinctId: INSTANCE_ID, event: "task_completed", properties: EVENT_FIELDS });
    },
    async close() {
      if (mode === "deliver") await client.shutdown(CLOSE_TIMEOUT_MS);
    },
  };
}

async function createSegment({ sinkUrl, mode }) {
  const { Analytics } = await import("@segment/analytics-node");
  const hold = mode === "hold";
  // Note: segment also ships a batch once it reaches 480 KB, whatever flushAt says; it has no
  // option to hold more, so in "hold" mode it still sends a batch every ~2,900 of these events.
  const client = new Analytics({
    writeKey: "benchmark-write-key",
    host: sinkUrl,
    flushAt: hold ? HUGE : 100,
    flushInterval: hold ? DAY_MS : 10_000,
    maxRetries: 0,
  });
  client.on("error", () => {});
  // segment hands each event through its plugin pipeline on timers before its publisher
  // queues it; counting the publisher's enqueue calls is the only way to see that finish.
  // (An internal: if a release renames it, processed() says so instead of lying.)
  let enqueued = 0;
  const publisher = client._publisher;
  if (typeof publisher?.enqueue === "function") {
    const enqueue = publisher.enqueue.bind(publisher);
    publisher.enqueue = (context) => {
      enqueued++;
      return enqueue(context);
    };
  }
  return {
    client,
    ready: () => client.ready,
    processed: () => (typeof publisher?.enqueue === "function" ? enqueued : Number.NaN),
    track() {
      client.track({ userId: INSTANCE_ID, event: "task_completed", properties: EVENT_FIELDS });
    },
    async close() {
      if (mode === "deliver") await client.closeAndFlush({ timeout: CLOSE_TIMEOUT_MS });
      // In "hold" mode its open batch sits behind a 24 h timer: drop it, or every finished
      // round would stay in the heap and slow the garbage collector for the next subjects.
      else publisher?.clearBatch?.();
    },
  };
}

/**
 * @param {string} name one of SUBJECT_NAMES
 * @param {{loaded?: any, sinkUrl: string, mode: "hold" | "deliver"}} context
 */
export async function createSubject(name, context) {
  switch (name) {
    case "floor":
      return createFloor(floorEvent);
    case "floor-spread":
      return createFloor(floorSpreadEvent);
    case "fetch-loop":
      return createFetchLoop(context);
    case "sdk":
    case "sdk-spool":
      if (!context.loaded?.sdk) throw new Error("the SDK is not built");
      return createSdk(context, name === "sdk-spool");
    case "posthog":
      return createPosthog(context);
    case "segment":
      return createSegment(context);
    default:
      throw new Error(`unknown subject ${name} (${SUBJECT_NAMES.join(", ")})`);
  }
}
