import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo, Socket } from "node:net";
import { gunzipSync } from "node:zlib";

/** One request the server received. */
export interface ReceivedRequest {
  method: string;
  path: string;
  headers: IncomingMessage["headers"];
  body: unknown;
  /** `clock()` when it arrived (the test's fake clock, when given). */
  at: number;
  /** The event ids of an events batch, in order. */
  eventIds: string[];
}

/** What to do with one request. */
export type Reply =
  | { kind: "accept" }
  | { kind: "results"; statuses: ("accepted" | "duplicate" | "rejected")[] }
  | { kind: "status"; status: number; body?: unknown; headers?: Record<string, string> }
  | { kind: "stall" }
  | { kind: "drop" }
  /** Stores the events (later copies are duplicates), then resets the connection before answering. */
  | { kind: "store-then-drop" };

export type Handler = (request: ReceivedRequest, index: number) => Reply | undefined;

/**
 * A loopback server (127.0.0.1, port 0) that speaks api-v1's two client endpoints and can be
 * scripted per request: accept, partial results, any status with headers, stall, drop the socket.
 * Without a script it accepts events (duplicates by event_id, as the server dedups) and answers
 * predictions with a made-up prediction per query.
 */
export class LoopbackServer {
  readonly requests: ReceivedRequest[] = [];
  /** Replies used one per request, in order, before `handler`. */
  readonly script: Reply[] = [];
  handler: Handler | undefined;
  private readonly seen = new Set<string>();
  private readonly sockets = new Set<Socket>();
  private server!: Server;
  url = "";

  constructor(private readonly clock: () => number = Date.now) {}

  async start(): Promise<this> {
    this.server = createServer((req, res) => void this.handle(req, res));
    this.server.on("connection", (socket) => {
      this.sockets.add(socket);
      socket.on("close", () => this.sockets.delete(socket));
    });
    await new Promise<void>((resolve) => this.server.listen(0, "127.0.0.1", resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this;
  }

  /** Every event id the server has stored, once each (its dedup set). */
  stored(): ReadonlySet<string> {
    return this.seen;
  }

  /** Forgets every request and stored id (a test's fresh start on a shared server). */
  reset(): void {
    this.seen.clear();
    this.requests.length = 0;
    this.script.length = 0;
    this.handler = undefined;
  }

  /** Event ids of all event requests, batch by batch. */
  batches(): string[][] {
    return this.requests.filter((r) => r.path.endsWith("/v1/events/batch")).map((r) => r.eventIds);
  }

  async close(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    let body: unknown;
    try {
      const raw = Buffer.concat(chunks);
      body = JSON.parse((req.headers["content-encoding"] === "gzip" ? gunzipSync(raw) : raw).toString("utf8"));
    } catch {
      body = undefined;
    }
    const events = (body as { events?: { event_id: string }[] } | undefined)?.events;
    const received: ReceivedRequest = {
      method: req.method ?? "",
      path: req.url ?? "",
      headers: req.headers,
      body,
      at: this.clock(),
      eventIds: Array.isArray(events) ? events.map((e) => e.event_id) : [],
    };
    const index = this.requests.push(received) - 1;
    const reply = this.script.shift() ?? this.handler?.(received, index) ?? { kind: "accept" };
    this.reply(reply, received, req, res);
  }

  private reply(reply: Reply, received: ReceivedRequest, req: IncomingMessage, res: ServerResponse): void {
    switch (reply.kind) {
      case "stall":
        return;
      case "drop":
        req.socket.destroy();
        return;
      case "store-then-drop":
        for (const id of received.eventIds) this.seen.add(id);
        req.socket.destroy();
        return;
      case "status":
        res.writeHead(reply.status, { "content-type": "application/json", ...reply.headers });
        res.end(JSON.stringify(reply.body ?? { error: { code: "test_error", message: `status ${reply.status}` } }));
        return;
      case "results": {
        const results = received.eventIds.map((id, index) => {
          const status = reply.statuses[index] ?? "accepted";
          return status === "rejected"
            ? { index, event_id: id, status, code: "invalid_event", message: "model: made-up rejection" }
            : { index, event_id: id, status };
        });
        return this.json(res, this.summary(results));
      }
      case "accept": {
        if (received.path.endsWith("/v1/predictions/batch")) {
          const queries = (received.body as { queries: Record<string, string>[] }).queries;
          return this.json(res, { results: queries.map((query, i) => prediction(query, i)) });
        }
        const results = received.eventIds.map((id, index) => {
          const duplicate = this.seen.has(id);
          this.seen.add(id);
          return { index, event_id: id, status: duplicate ? "duplicate" : "accepted" };
        });
        return this.json(res, this.summary(results));
      }
    }
  }

  private summary(results: { status: string }[]): unknown {
    const count = (status: string): number => results.filter((r) => r.status === status).length;
    return { accepted: count("accepted"), duplicates: count("duplicate"), rejected: count("rejected"), results };
  }

  private json(res: ServerResponse, body: unknown): void {
    res.writeHead(200, { "content-type": "application/json; charset=utf-8", "api-version": "1" });
    res.end(JSON.stringify(body));
  }
}

function quantiles(base: number): Record<string, number> {
  return { p10: base, p25: base * 2, median: base * 3, p75: base * 4, p90: base * 5 };
}

/** A made-up prediction whose median input tokens encode the query's model, to check the cache's keys. */
export function prediction(query: Record<string, string>, i: number): unknown {
  return {
    query,
    prediction: {
      input_tokens: quantiles(1000 + i),
      output_tokens: quantiles(500),
      cost_usd_micros: quantiles(10_000),
      duration_ms: quantiles(60_000),
      correction_factors: { input: 1.07, output: 0.9 },
      quality: { gate_pass_rate: 0.8, success_rate: 0.9 },
    },
    metadata: {
      sample_size: 100,
      contributors: 5,
      fallback_level: 0,
      dimensions: ["provider", "model", "task_type", "complexity"],
      confidence: "high",
      last_updated: "2026-01-01T00:00:00.000Z",
    },
  };
}
