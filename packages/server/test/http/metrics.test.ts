import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ADMIN_TOKEN, makeEvent, startTestServer, type TestServer } from "./test-server.js";

const METRICS_TOKEN = "metrics-token-0123456789abcdefghij";

/** The value of one sample line, e.g. `mosaic_events_total{outcome="accepted"}`. */
function sample(text: string, series: string): number | undefined {
  const line = text.split("\n").find((candidate) => candidate.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

describe("GET /metrics", () => {
  it("does not exist without METRICS_TOKEN (off by default)", async () => {
    const subject = await startTestServer({ inProcess: true });
    try {
      const answer = await subject.app.inject({ method: "GET", url: "/metrics", headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
      expect(answer.statusCode).toBe(404);
    } finally {
      await subject.close();
    }
  });

  describe("with METRICS_TOKEN", () => {
    let subject: TestServer;
    beforeAll(async () => {
      subject = await startTestServer({
        inProcess: true,
        config: { metricsToken: METRICS_TOKEN },
        redisHealth: { state: () => "down", reportCommandFailure: () => undefined, reportCommandSuccess: () => undefined },
      });
    });
    afterAll(async () => subject.close());

    const scrape = () => subject.app.inject({ method: "GET", url: "/metrics", headers: { authorization: `Bearer ${METRICS_TOKEN}` } });

    it.each([
      ["no token", undefined],
      ["the admin token", `Bearer ${ADMIN_TOKEN}`],
      ["a wrong token", `Bearer ${METRICS_TOKEN}x`],
    ])("refuses %s with 401", async (_what, authorization) => {
      const answer = await subject.app.inject({ method: "GET", url: "/metrics", headers: authorization ? { authorization } : {} });
      expect(answer.statusCode).toBe(401);
      expect(answer.json().error.code).toBe("unauthorized");
    });

    it("answers Prometheus text: requests by route and status, events by outcome, latency histograms, queue depth, Redis", async () => {
      const batch = {
        events: [makeEvent(subject.instanceId), makeEvent(subject.instanceId, { actual_input_tokens: -1 })],
      };
      const first = await subject.app.inject({ method: "POST", url: "/v1/events/batch", headers: { authorization: `Bearer ${subject.apiKey}` }, payload: batch });
      expect(first.json()).toMatchObject({ accepted: 1, rejected: 1 });
      await subject.app.inject({ method: "POST", url: "/v1/events/batch", headers: { authorization: `Bearer ${subject.apiKey}` }, payload: batch });
      await subject.app.inject({ method: "GET", url: `/v1/admin/instances/${subject.instanceId}/usage`, headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
      await subject.app.inject({ method: "GET", url: "/nowhere/msk_secret" });

      const answer = await scrape();
      expect(answer.statusCode).toBe(200);
      expect(answer.headers["content-type"]).toMatch(/^text\/plain; version=0\.0\.4/);
      const text = answer.body;
      expect(sample(text, 'mosaic_events_total{outcome="accepted"}')).toBe(1);
      expect(sample(text, 'mosaic_events_total{outcome="duplicate"}')).toBe(1);
      expect(sample(text, 'mosaic_events_total{outcome="rejected"}')).toBe(2);
      expect(sample(text, 'mosaic_http_requests_total{method="POST",route="/v1/events/batch",status="200"}')).toBe(2);
      // Route patterns, never URLs: no id, no credential in a label.
      expect(sample(text, 'mosaic_http_requests_total{method="GET",route="/v1/admin/instances/:id/usage",status="200"}')).toBe(1);
      expect(sample(text, 'mosaic_http_requests_total{method="GET",route="unmatched",status="404"}')).toBe(1);
      expect(text).not.toContain(subject.instanceId);
      expect(text).not.toContain("msk_");
      expect(sample(text, 'mosaic_ingest_duration_seconds_count{status="200"}')).toBe(2);
      expect(text).toContain("# TYPE mosaic_prediction_duration_seconds histogram");
      expect(sample(text, "mosaic_storage_queue_depth")).toBe(0);
      expect(sample(text, "mosaic_redis_up")).toBe(0);
      expect(text).toContain("process_cpu_user_seconds_total");
    });

    it("times predictions", async () => {
      const query = { task_type: "implementation", model: "claude-sonnet-4-5-20250929", provider: "anthropic", complexity: "medium" };
      const answer = await subject.app.inject({
        method: "POST",
        url: "/v1/predictions/batch",
        headers: { authorization: `Bearer ${subject.apiKey}` },
        payload: { queries: [query] },
      });
      expect(answer.statusCode).toBe(200);
      expect(sample((await scrape()).body, 'mosaic_prediction_duration_seconds_count{status="200"}')).toBe(1);
    });

    it("is not in the OpenAPI document (the operator's route, not the API's)", async () => {
      const document = (await subject.app.inject({ method: "GET", url: "/openapi.json" })).json();
      expect(Object.keys(document.paths)).not.toContain("/metrics");
    });
  });

  it("says Redis is not configured (-1) without REDIS_URL", async () => {
    const subject = await startTestServer({ inProcess: true, config: { metricsToken: METRICS_TOKEN } });
    try {
      const answer = await subject.app.inject({ method: "GET", url: "/metrics", headers: { authorization: `Bearer ${METRICS_TOKEN}` } });
      expect(sample(answer.body, "mosaic_redis_up")).toBe(-1);
    } finally {
      await subject.close();
    }
  });
});

describe("the request log", () => {
  const linesOf = (logs: readonly string[]): Record<string, unknown>[] =>
    logs.flatMap((chunk) => chunk.split("\n")).filter((line) => line.startsWith("{")).map((line) => JSON.parse(line) as Record<string, unknown>);

  it("writes one ingest line per batch, with its counts, status and time", async () => {
    const subject = await startTestServer({ inProcess: true });
    try {
      const before = linesOf(subject.logs).length;
      const events = [makeEvent(subject.instanceId), makeEvent(subject.instanceId, { task_type: "nope" })];
      await subject.app.inject({ method: "POST", url: "/v1/events/batch", headers: { authorization: `Bearer ${subject.apiKey}` }, payload: { events } });
      // The line is written after the answer's onResponse hooks: let them run.
      await new Promise(setImmediate);
      const lines = linesOf(subject.logs).slice(before);
      expect(lines).toHaveLength(1);
      expect(lines[0]).toMatchObject({
        msg: "ingest",
        instanceId: subject.instanceId,
        accepted: 1,
        duplicates: 0,
        rejected: 1,
        req: { method: "POST", url: "/v1/events/batch" },
        res: { statusCode: 200 },
      });
      expect(typeof lines[0]?.responseTime).toBe("number");
    } finally {
      await subject.close();
    }
  });

  it("writes one line for any other answered request, a 401 included, its query string masked", async () => {
    const subject = await startTestServer({ inProcess: true });
    try {
      const before = linesOf(subject.logs).length;
      await subject.app.inject({ method: "GET", url: "/healthz?probe=1" });
      await subject.app.inject({ method: "POST", url: "/v1/events/batch", headers: { authorization: "Bearer msk_wrong" }, payload: { events: [] } });
      await new Promise(setImmediate);
      const lines = linesOf(subject.logs).slice(before);
      expect(lines.map((line) => [line.msg, (line.res as { statusCode: number }).statusCode, (line.req as { url: string }).url])).toEqual([
        ["request completed", 200, "/healthz?[redacted]"],
        ["request completed", 401, "/v1/events/batch"],
      ]);
    } finally {
      await subject.close();
    }
  });
});
