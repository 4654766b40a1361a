import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ENGINES } from "../helpers/engines.js";
import { startOn, type EngineServer } from "../e2e/engines.js";
import { createInstance, usageOf, type CreatedInstance, type LiveServer } from "../e2e/live-server.js";
import { rawRequest, requestHead } from "./raw-http.js";
import { FUZZ_BODY_LIMIT, badEventBodies, badPredictionBodies, validEvent, type BadRequest } from "./bad-bodies.js";

const EVENTS = "/v1/events/batch";
const PREDICTIONS = "/v1/predictions/batch";
/**
 * In-process requests per route (app.inject: volume), then a sample over the real socket. SQLite
 * takes the volume; PostgreSQL (when MOSAIC_TEST_DATABASE_URL is set) a smaller run of the same
 * cases, for what only that engine refuses (NUL bytes in text, for one).
 */
const RUNS = { sqlite: { injected: 1500, socket: 150 }, postgres: { injected: 300, socket: 50 } };
for (const { skip } of ENGINES) if (skip) console.warn(`bad-input.test.ts: PostgreSQL run skipped: ${skip}`);

interface Answer {
  status: number;
  body: string;
}

/** What every answer to a bad body must be: a 4xx (or a 200 with per-event results), never a 5xx, with code and message. */
function checkAnswer(request: BadRequest, answer: Answer, accepted: { count: number }, seenOutcomes: Map<string, number>): void {
  const outcome = `${answer.status} ${answer.status === 200 ? "ok" : ((JSON.parse(answer.body) as { error?: { code?: string } }).error?.code ?? "?")}`;
  seenOutcomes.set(outcome, (seenOutcomes.get(outcome) ?? 0) + 1);
  const where = `${request.kind}: HTTP ${answer.status} ${answer.body.slice(0, 300)}`;
  expect(answer.status, where).toBeLessThan(500);
  const parsed = JSON.parse(answer.body) as { error?: { code?: unknown; message?: unknown }; accepted?: number };
  if (answer.status >= 400) {
    expect(typeof parsed.error?.code, where).toBe("string");
    expect(typeof parsed.error?.message, where).toBe("string");
    expect((parsed.error?.message as string).length, where).toBeGreaterThan(0);
  } else {
    expect(answer.status, where).toBe(200);
    accepted.count += parsed.accepted ?? 0;
  }
}

for (const { name: engine, skip } of ENGINES) {
  describe.skipIf(skip !== null)(`property on ${engine}: malformed bodies to both public routes never get a 5xx and never harm stored events${skip ? ` (skipped: ${skip})` : ""}`, () => {
    const INJECTED_RUNS = RUNS[engine].injected;
    const SOCKET_RUNS = RUNS[engine].socket;
    /** Status and error code of every answer, so the run can show it reached each kind of refusal. */
    const seenOutcomes = new Map<string, number>();
    let live: EngineServer;
    let server: LiveServer;
    let instance: CreatedInstance;
    let before: Record<string, unknown>[];
    const accepted = { count: 0 };

    beforeAll(async () => {
      live = await startOn(engine, { bodyLimitBytes: FUZZ_BODY_LIMIT });
      server = live.server;
      instance = await createInstance(server.url, "fuzzed");
      before = Array.from({ length: 50 }, (_, i) => validEvent(instance.instanceId, { task_duration_ms: i }));
      const answer = await inject(server, EVENTS, instance.apiKey, { kind: "seed", headers: { "content-type": "application/json" }, body: Buffer.from(JSON.stringify({ events: before })) });
      expect(JSON.parse(answer.body)).toMatchObject({ accepted: 50 });
    });
    afterAll(async () => live?.close());

    it(`POST ${EVENTS}: ${INJECTED_RUNS} in-process cases`, async () => {
      await fc.assert(
        fc.asyncProperty(badEventBodies(instance.instanceId, before), async (request) => {
          checkAnswer(request, await inject(server, EVENTS, instance.apiKey, request), accepted, seenOutcomes);
        }),
        { numRuns: INJECTED_RUNS },
      );
    });

    it(`POST ${PREDICTIONS}: ${INJECTED_RUNS} in-process cases`, async () => {
      await fc.assert(
        fc.asyncProperty(badPredictionBodies(), async (request) => {
          checkAnswer(request, await inject(server, PREDICTIONS, instance.apiKey, request), { count: 0 }, seenOutcomes);
        }),
        { numRuns: INJECTED_RUNS },
      );
    });

    it(`both routes over the loopback socket: ${SOCKET_RUNS} cases each`, async () => {
      await fc.assert(
        fc.asyncProperty(badEventBodies(instance.instanceId, before), async (request) => {
          checkAnswer(request, await overSocket(server, EVENTS, instance.apiKey, request), accepted, seenOutcomes);
        }),
        { numRuns: SOCKET_RUNS },
      );
      await fc.assert(
        fc.asyncProperty(badPredictionBodies(), async (request) => {
          checkAnswer(request, await overSocket(server, PREDICTIONS, instance.apiKey, request), { count: 0 }, seenOutcomes);
        }),
        { numRuns: SOCKET_RUNS },
      );
    });

    // Only the large run can be sure to meet every kind; the small one could miss a rare case.
    it.skipIf(engine !== "sqlite")("the cases reached every kind of refusal (and some bodies were still partly valid)", () => {
      for (const outcome of ["200 ok", "400 invalid_json", "400 invalid_request", "400 empty_batch", "413 payload_too_large", "415 unsupported_media_type", "415 unsupported_content_encoding"]) {
        expect(seenOutcomes.get(outcome) ?? 0, `${outcome} in ${JSON.stringify([...seenOutcomes])}`).toBeGreaterThan(0);
      }
    });

    it("afterwards the server is alive and every event stored before is there, unchanged", async () => {
      const health = await fetch(`${server.url}/healthz`);
      expect(health.status).toBe(200);
      const fresh = validEvent(instance.instanceId);
      const answer = await overSocket(server, EVENTS, instance.apiKey, { kind: "valid", headers: { "content-type": "application/json" }, body: Buffer.from(JSON.stringify({ events: [fresh] })) });
      expect(JSON.parse(answer.body)).toMatchObject({ accepted: 1 });

      // Whatever the fuzzing got accepted (a broken field that still validates) was counted.
      expect((await usageOf(server.url, instance.instanceId)).events).toBe(50 + accepted.count + 1);
      for (const event of before) {
        expect(await live.storedEvent(instance.instanceId, event["event_id"] as string), String(event["event_id"])).toEqual(event);
      }
    });
  });
}

async function inject(server: LiveServer, path: string, key: string, request: BadRequest): Promise<Answer> {
  const response = await server.app.inject({
    method: "POST",
    url: path,
    headers: { authorization: `Bearer ${key}`, ...request.headers },
    payload: request.body,
  });
  return { status: response.statusCode, body: response.body };
}

async function overSocket(server: LiveServer, path: string, key: string, request: BadRequest): Promise<Answer> {
  const host = new URL(server.url).host;
  const head = requestHead(path, host, { authorization: `Bearer ${key}`, ...request.headers }, request.body.length);
  return rawRequest(server.url, head, request.body);
}
