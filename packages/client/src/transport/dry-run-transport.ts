import type { Transport, TransportRequest, TransportResult } from "./transport.js";

/**
 * dryRun: answers an event batch as if the server had accepted every event, without any I/O.
 * Prediction requests are answered with no results (nothing is cached).
 */
export class DryRunTransport implements Transport {
  async send(request: TransportRequest): Promise<TransportResult> {
    const events = (request.payload as { events?: unknown[] } | undefined)?.events;
    if (!Array.isArray(events)) return { kind: "ok", status: 200, body: { results: [] } };
    const results = events.map((event, index) => ({
      index,
      event_id: (event as { event_id?: string }).event_id ?? null,
      status: "accepted",
    }));
    return { kind: "ok", status: 200, body: { accepted: events.length, duplicates: 0, rejected: 0, results } };
  }
}
