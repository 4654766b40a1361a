import type { TaskCompletionEvent } from "@mosaicstack/telemetry-protocol";
import type { FastifyInstance } from "fastify";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ENGINES, freshDatabase, type EngineDatabase } from "../helpers/engines.js";
import { ADMIN_TOKEN, injectJson, injectRequest, makeEvent, startTestServer, type Json, type TestServer } from "../http/test-server.js";
import { START_MS, expectedSeries, figuresAsExpected, usageEvents } from "./usage-fixtures.js";

/**
 * The usage API on each engine, in-process: events sent through POST /v1/events/batch, read back
 * through /v1/usage/* with the instance's key and /v1/admin/usage/* with the admin token.
 */

const HOUR = 3_600_000;
const iso = (ms: number): string => new Date(ms).toISOString().replace(".000Z", "Z");
const FROM = iso(START_MS);
const TO = iso(START_MS + 72 * HOUR);

async function send(app: FastifyInstance, key: string, events: readonly TaskCompletionEvent[]): Promise<void> {
  for (let i = 0; i < events.length; i += 100) {
    const { status, body } = await injectJson(app, "/v1/events/batch", key, { events: events.slice(i, i + 100) });
    if (status !== 200 || body.accepted !== Math.min(100, events.length - i)) throw new Error(`ingest: ${status} ${JSON.stringify(body)}`);
  }
}

interface CreatedInstance {
  instanceId: string;
  apiKey: string;
}

/** Creates an instance through the admin API (as an operator would), failing loudly otherwise. */
async function createInstance(app: FastifyInstance, name: string): Promise<CreatedInstance> {
  const { status, body } = await injectJson(app, "/v1/admin/instances", ADMIN_TOKEN, { name });
  if (status !== 201) throw new Error(`creating instance ${name}: HTTP ${status} ${JSON.stringify(body)}`);
  return { instanceId: body.instance.id, apiKey: body.api_key.key };
}

function keyed(series: Json[]): Map<string, unknown> {
  return new Map(series.map((point: Json) => [`${new Date(point.start).toISOString()}|${point.group ?? ""}`, figuresAsExpected(point)]));
}

for (const engine of ENGINES) {
  describe.skipIf(engine.skip !== null)(`usage API on ${engine.name}${engine.skip ? ` (skipped: ${engine.skip})` : ""}`, () => {
    let database: EngineDatabase;
    let server: TestServer;
    let a: CreatedInstance;
    let b: CreatedInstance;
    let eventsA: TaskCompletionEvent[];
    let eventsB: TaskCompletionEvent[];
    const get = (path: string, token: string | null) => injectRequest(server.app, "GET", path, token);

    beforeAll(async () => {
      database = await freshDatabase(engine.name, "usage");
      server = await startTestServer({
        storage: await database.open(),
        inProcess: true,
        config: { rateLimits: { eventsPerMinute: 1_000_000, predictionsPerMinute: 1_000_000 } },
      });
      a = await createInstance(server.app, "team a");
      b = await createInstance(server.app, "team b");
      eventsA = usageEvents(a.instanceId, 450, 21);
      eventsB = usageEvents(b.instanceId, 250, 22);
      await send(server.app, a.apiKey, eventsA);
      await send(server.app, b.apiKey, eventsB);
    });
    afterAll(async () => {
      await server?.close();
      await database?.drop();
    });

    it("answers an instance's series and totals with the exact sums of its events, per day and per hour, split by each dimension", async () => {
      for (const group of [null, "model", "task_type", "harness", "outcome"] as const) {
        const query = `from=${FROM}&to=${TO}&bucket=day${group ? `&group_by=${group}` : ""}`;
        const { status, body } = await get(`/v1/usage/timeseries?${query}`, a.apiKey);
        expect(status).toBe(200);
        const expected = expectedSeries(eventsA, { from: START_MS, to: START_MS + 72 * HOUR, bucket: "day", groupBy: group });
        expect(keyed(body.series), `by ${group}`).toEqual(expected.series);
        expect(figuresAsExpected(body.totals)).toEqual(expected.totals);
        expect(body).toMatchObject({ instance_id: a.instanceId, bucket: "day", group_by: group, from: `${FROM.slice(0, 19)}.000Z` });
      }
      const from = START_MS + 20 * HOUR;
      const to = START_MS + 44 * HOUR;
      const { body } = await get(`/v1/usage/timeseries?from=${iso(from)}&to=${iso(to)}&bucket=hour&group_by=model`, a.apiKey);
      const expected = expectedSeries(eventsA, { from, to, bucket: "hour", groupBy: "model" });
      expect(keyed(body.series)).toEqual(expected.series);
      expect(body.totals.events).toBe(expected.totals.events);
      expect(body.series.every((point: Json) => Date.parse(point.start) % HOUR === 0)).toBe(true);
    });

    it("derives rates, cost per success and correction factors from the sums, and counts events without an estimate", async () => {
      const { body } = await get(`/v1/usage/timeseries?from=${FROM}&to=${TO}`, a.apiKey);
      const totals = body.totals;
      expect(totals.success_rate).toBe(totals.successes / totals.events);
      expect(totals.gate_pass_rate).toBe(totals.gate_passed / totals.events);
      expect(totals.cost_per_success_usd_micros).toBe(totals.cost_usd_micros / totals.successes);
      expect(totals.estimates.without_estimate).toBe(eventsA.filter((e) => e.estimated_input_tokens + e.estimated_output_tokens === 0).length);
      expect(totals.estimates.correction_factors.input).toBe(totals.estimates.actual_input_tokens / totals.estimates.estimated_input_tokens);
      expect(totals.estimates.ratio_histogram.reduce((x: number, y: number) => x + y, 0)).toBe(totals.estimates.events);
      expect(body.ratio_buckets).toHaveLength(9);
      expect(body.ratio_buckets[0]).toEqual({ from: null, to: 0.25 });
      expect(body.ratio_buckets[4]).toEqual({ from: 0.9, to: 10 / 9 });
      expect(body.ratio_buckets[8]).toEqual({ from: 4, to: null });
    });

    it("shows an instance its own data only, and the admin any instance's or all of them", async () => {
      const own = await get(`/v1/usage/timeseries?from=${FROM}&to=${TO}`, b.apiKey);
      expect(own.body.totals.events).toBe(eventsB.length);
      expect(own.body.instance_id).toBe(b.instanceId);
      const topB = await get(`/v1/usage/top?from=${FROM}&to=${TO}&limit=100`, b.apiKey);
      expect(topB.body.events).toHaveLength(100);
      expect(topB.body.events.every((event: Json) => event.instance_id === b.instanceId)).toBe(true);
      // An API key cannot ask for another instance: instance_id is not a parameter of its routes.
      const sneaky = await get(`/v1/usage/timeseries?from=${FROM}&to=${TO}&instance_id=${a.instanceId}`, b.apiKey);
      expect(sneaky.body.totals.events).toBe(eventsB.length);

      const all = await get(`/v1/admin/usage/timeseries?from=${FROM}&to=${TO}&group_by=outcome`, ADMIN_TOKEN);
      expect(all.status).toBe(200);
      expect(all.body.instance_id).toBeNull();
      const both = expectedSeries([...eventsA, ...eventsB], { from: START_MS, to: START_MS + 72 * HOUR, bucket: "day", groupBy: "outcome" });
      expect(keyed(all.body.series)).toEqual(both.series);
      expect(figuresAsExpected(all.body.totals)).toEqual(both.totals);
      const one = await get(`/v1/admin/usage/timeseries?from=${FROM}&to=${TO}&instance_id=${a.instanceId.toUpperCase()}`, ADMIN_TOKEN);
      expect(one.body.instance_id).toBe(a.instanceId);
      expect(one.body.totals.events).toBe(eventsA.length);

      const top = await get(`/v1/admin/usage/top?from=${FROM}&to=${TO}&limit=7`, ADMIN_TOKEN);
      const costliest = [...eventsA, ...eventsB].sort((x, y) => y.actual_cost_usd_micros - x.actual_cost_usd_micros).slice(0, 7);
      expect(top.body.events.map((event: Json) => event.event_id)).toEqual(costliest.map((event) => event.event_id));
      const first = costliest[0] as TaskCompletionEvent;
      expect(top.body.events[0]).toEqual({
        instance_id: first.instance_id,
        event_id: first.event_id,
        timestamp: first.timestamp,
        provider: first.provider,
        model: first.model,
        task_type: first.task_type,
        complexity: first.complexity,
        harness: first.harness,
        outcome: first.outcome,
        actual_cost_usd_micros: first.actual_cost_usd_micros,
        estimated_cost_usd_micros: first.estimated_cost_usd_micros,
        actual_input_tokens: first.actual_input_tokens,
        actual_output_tokens: first.actual_output_tokens,
        estimated_input_tokens: first.estimated_input_tokens,
        estimated_output_tokens: first.estimated_output_tokens,
        task_duration_ms: first.task_duration_ms,
        quality_gate_passed: first.quality_gate_passed,
      });
      const topA = await get(`/v1/admin/usage/top?from=${FROM}&to=${TO}&instance_id=${a.instanceId}`, ADMIN_TOKEN);
      expect(topA.body.limit).toBe(10);
      expect(topA.body.events.map((event: Json) => event.event_id)).toEqual(
        [...eventsA].sort((x, y) => y.actual_cost_usd_micros - x.actual_cost_usd_micros).slice(0, 10).map((event) => event.event_id),
      );
    });

    it("refuses the wrong credential on each side, and an unknown instance", async () => {
      expect((await get(`/v1/usage/timeseries?from=${FROM}&to=${TO}`, ADMIN_TOKEN)).status).toBe(401);
      expect((await get(`/v1/usage/top?from=${FROM}&to=${TO}`, null)).status).toBe(401);
      expect((await get(`/v1/admin/usage/timeseries?from=${FROM}&to=${TO}`, a.apiKey)).status).toBe(401);
      const unknown = await get(`/v1/admin/usage/top?from=${FROM}&to=${TO}&instance_id=00000000-0000-4000-8000-000000000000`, ADMIN_TOKEN);
      expect(unknown.status).toBe(404);
      expect(unknown.body.error.code).toBe("not_found");
      expect((await get(`/v1/admin/usage/timeseries?from=${FROM}&to=${TO}&instance_id=nope`, ADMIN_TOKEN)).status).toBe(404);
    });

    it("answers bad parameters with 400 invalid_request naming the parameter", async () => {
      const cases: [string, string][] = [
        ["", "from"],
        [`from=${FROM}`, "to"],
        [`from=yesterday&to=${TO}`, "from"],
        [`from=2026-11-01T00:30:00Z&to=${TO}`, "from"],
        [`from=${FROM}&to=2026-11-02T00:00:00.5Z`, "to"],
        [`from=2026-11-01T00:00:00+02:00&to=${TO}`, "from"],
        [`from=2026-02-30T00:00:00Z&to=${TO}`, "from"],
        [`from=${TO}&to=${FROM}`, "to"],
        [`from=${FROM}&to=${FROM}`, "to"],
        [`from=2025-01-01T00:00:00Z&to=2026-01-03T00:00:00Z`, "to"],
        [`from=${FROM}&to=2026-12-02T01:00:00Z&bucket=hour`, "to"],
        [`from=${FROM}&to=${TO}&bucket=week`, "bucket"],
        [`from=${FROM}&to=${TO}&group_by=instance_id`, "group_by"],
        [`from=${FROM}&from=${FROM}&to=${TO}`, "from"],
      ];
      for (const [query, parameter] of cases) {
        const { status, body } = await get(`/v1/usage/timeseries?${query}`, a.apiKey);
        expect(status, query).toBe(400);
        expect(body.error.code, query).toBe("invalid_request");
        expect(body.error.message, query).toContain(parameter);
      }
      for (const limit of ["0", "101", "-1", "1.5", "ten", ""]) {
        const { status, body } = await get(`/v1/usage/top?from=${FROM}&to=${TO}&limit=${limit}`, a.apiKey);
        expect(status, limit).toBe(400);
        expect(body.error).toMatchObject({ code: "invalid_request", details: { parameter: "limit" } });
      }
      // The bounds themselves are accepted: 366 days by day, 31 days by hour.
      expect((await get(`/v1/usage/timeseries?from=2025-11-01T00:00:00Z&to=2026-11-02T00:00:00Z`, a.apiKey)).status).toBe(200);
      expect((await get(`/v1/usage/timeseries?from=${FROM}&to=2026-12-02T00:00:00Z&bucket=hour`, a.apiKey)).status).toBe(200);
      expect((await get(`/v1/admin/usage/timeseries?from=${FROM}&to=${TO}&bucket=minute`, ADMIN_TOKEN)).body.error.details).toEqual({ parameter: "bucket" });
    });

    // Last: its instance would change the admin's all-instances sums that the tests above check.
    it("answers a split with more than 20 groups as the 20 with the most events and one summed 'others' group (null), whose count it gives", async () => {
      const many = await createInstance(server.app, "many models");
      // Model i has i + 1 events: models 5 to 24 are the 20 biggest, models 0 to 4 (15 events) the others.
      const events = Array.from({ length: 25 }, (_, i) =>
        Array.from({ length: i + 1 }, () => makeEvent(many.instanceId, { model: `model-${String(i).padStart(2, "0")}`, timestamp: iso(START_MS + 5 * HOUR) })),
      ).flat();
      await send(server.app, many.apiKey, events as unknown as TaskCompletionEvent[]);
      const { status, body } = await get(`/v1/usage/timeseries?from=${FROM}&to=${TO}&bucket=day&group_by=model`, many.apiKey);
      expect(status).toBe(200);
      expect(body.other_groups).toBe(5);
      const named = body.series.filter((point: Json) => point.group !== null);
      expect(named.map((point: Json) => point.group).sort()).toEqual(Array.from({ length: 20 }, (_, i) => `model-${String(i + 5).padStart(2, "0")}`));
      const others = body.series.filter((point: Json) => point.group === null);
      expect(others.map((point: Json) => point.events)).toEqual([15]);
      expect(body.totals.events).toBe(325);
      const whole = await get(`/v1/usage/timeseries?from=${FROM}&to=${TO}&bucket=day`, many.apiKey);
      expect(whole.body).toMatchObject({ other_groups: 0, totals: { events: 325 } });
    });
  });
}
