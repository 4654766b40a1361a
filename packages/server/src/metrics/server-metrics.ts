import type { FastifyInstance } from "fastify";
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from "prom-client";

/** What the metrics read from the parts they watch, at scrape time. */
export interface MetricsSources {
  /** Ingest jobs waiting for their group commit (Storage.queueDepth), when the engine has a queue. */
  queueDepth?: () => number;
  /** Shared Redis: "off" when REDIS_URL is unset. */
  redisState?: () => "up" | "down" | "off";
}

/** Latency buckets in seconds: 1 ms (an in-memory answer) to 10 s (the query timeout). */
const LATENCY_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/** The routes whose latency has a histogram of its own, by route pattern. */
const LATENCY_ROUTES: Readonly<Record<string, "ingest" | "predictions">> = {
  "POST /v1/events/batch": "ingest",
  "POST /v1/predictions/batch": "predictions",
};

/**
 * The server's Prometheus metrics, in a registry of their own (not prom-client's global one, so
 * two apps in one process, as in the tests, do not collide).
 */
export class ServerMetrics {
  readonly registry = new Registry();
  readonly #requests: Counter<"method" | "route" | "status">;
  readonly #events: Counter<"outcome">;
  readonly #latency: Record<"ingest" | "predictions", Histogram<"status">>;

  constructor(sources: MetricsSources = {}) {
    const registers = [this.registry];
    collectDefaultMetrics({ register: this.registry });
    this.#requests = new Counter({
      name: "mosaic_http_requests_total",
      help: "HTTP requests answered, by route pattern (unmatched for a 404 of no route) and status",
      labelNames: ["method", "route", "status"],
      registers,
    });
    this.#events = new Counter({
      name: "mosaic_events_total",
      help: "Events of POST /v1/events/batch by outcome: accepted, duplicate, rejected",
      labelNames: ["outcome"],
      registers,
    });
    // Each outcome exists from the first scrape, so rate() sees a 0 before the first event.
    for (const outcome of ["accepted", "duplicate", "rejected"]) this.#events.inc({ outcome }, 0);
    this.#latency = {
      ingest: new Histogram({
        name: "mosaic_ingest_duration_seconds",
        help: "POST /v1/events/batch from request to answer, by status",
        labelNames: ["status"],
        buckets: LATENCY_BUCKETS,
        registers,
      }),
      predictions: new Histogram({
        name: "mosaic_prediction_duration_seconds",
        help: "POST /v1/predictions/batch from request to answer, by status",
        labelNames: ["status"],
        buckets: LATENCY_BUCKETS,
        registers,
      }),
    };
    const { queueDepth, redisState } = sources;
    if (queueDepth !== undefined) {
      new Gauge({
        name: "mosaic_storage_queue_depth",
        help: "Ingest calls waiting for their group commit (SQLite: this event-loop turn's group; PostgreSQL: behind the group in flight)",
        registers,
        collect() {
          this.set(queueDepth());
        },
      });
    }
    new Gauge({
      name: "mosaic_redis_up",
      help: "Shared Redis: 1 up, 0 down, -1 not configured (REDIS_URL unset)",
      registers,
      collect() {
        const state = redisState?.() ?? "off";
        this.set(state === "up" ? 1 : state === "down" ? 0 : -1);
      },
    });
  }

  /** Counts the events of one ingest request by outcome. */
  recordEvents(counts: { accepted: number; duplicates: number; rejected: number }): void {
    this.#events.inc({ outcome: "accepted" }, counts.accepted);
    this.#events.inc({ outcome: "duplicate" }, counts.duplicates);
    this.#events.inc({ outcome: "rejected" }, counts.rejected);
  }

  /** Counts every answer and times ingest and predictions (onResponse: after the answer is sent). */
  install(app: FastifyInstance): void {
    app.addHook("onResponse", async (request, reply) => {
      // The route's pattern, never the URL: ids in paths would make a series per id.
      const route = request.routeOptions.url ?? "unmatched";
      const status = String(reply.statusCode);
      this.#requests.inc({ method: request.method, route, status });
      const timed = LATENCY_ROUTES[`${request.method} ${route}`];
      if (timed !== undefined) this.#latency[timed].observe({ status }, reply.elapsedTime / 1000);
    });
  }
}
