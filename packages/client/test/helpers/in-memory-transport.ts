import type { TaskCompletionEvent } from "@mosaicstack/telemetry-protocol";
import type { FetchLike, Platform } from "../../src/platform.js";
import { FetchTransport } from "../../src/transport/fetch-transport.js";
import { RateLimitGate } from "../../src/transport/rate-limit-gate.js";
import type { RetryPolicy } from "../../src/transport/retry-policy.js";
import { RetryingTransport, type AttemptObserver } from "../../src/transport/retrying-transport.js";
import { API_KEY } from "./fixtures.js";

/** One answer of the in-memory server: a status, optional headers and body. */
export interface Answer {
  status: number;
  headers?: Record<string, string>;
  body?: unknown;
}

/** A request the in-memory server received, at which time on the fake clock. */
export interface Received {
  at: number;
  url: string;
  events: TaskCompletionEvent[];
}

/**
 * A fake clock: `sleep` moves the clock at once (a sleep whose signal is already aborted does
 * not), so backoff and Retry-After are checked to the millisecond without real waiting.
 * `after` timers (the request timeout) are recorded and never fire by themselves.
 */
export function fakeClock(start = 1_000_000) {
  let now = start;
  const sleeps: number[] = [];
  const platform: Pick<Platform, "now" | "sleep" | "random" | "after"> = {
    now: () => now,
    sleep: async (ms, signal) => {
      if (signal?.aborted === true) return;
      sleeps.push(ms);
      now += ms;
    },
    // Equal jitter at 0.5: delays are 3/4 of the nominal 1 s, 2 s, 4 s… (750, 1500, 3000…).
    random: () => 0.5,
    after: () => () => {},
  };
  return { platform, sleeps, now: () => now, start };
}

/**
 * An in-memory API: a `fetch` that answers from a script (or a function of the request)
 * without a socket, fed to the real FetchTransport so status mapping, Retry-After parsing and
 * the bearer header are the SDK's own. A thrown answer (an Error) is a network failure.
 */
export function inMemoryServer(answer: (request: Received, index: number) => Answer | Error, clock: { now: () => number }) {
  const received: Received[] = [];
  const fetchImpl: FetchLike = async (url, init) => {
    if (init.headers["authorization"] !== `Bearer ${API_KEY}`) throw new Error("the transport sent no bearer key");
    const payload = JSON.parse(init.body as string) as { events: TaskCompletionEvent[] };
    const request: Received = { at: clock.now(), url, events: payload.events };
    received.push(request);
    const result = answer(request, received.length - 1);
    if (result instanceof Error) throw result;
    const headers = new Map(Object.entries(result.headers ?? {}).map(([name, value]) => [name.toLowerCase(), value]));
    return {
      status: result.status,
      headers: { get: (name: string) => headers.get(name.toLowerCase()) ?? null },
      text: async () => (result.body === undefined ? "" : JSON.stringify(result.body)),
    };
  };
  return { fetchImpl, received };
}

/** Answers in turn from a list; the last answer repeats. */
export function scripted(...answers: (Answer | Error)[]): (request: Received, index: number) => Answer | Error {
  return (_request, index) => answers[Math.min(index, answers.length - 1)] as Answer | Error;
}

/** A 200 accepting every event of the batch, as the server answers. */
export function acceptAll(request: Received): Answer {
  return { status: 200, body: { accepted: request.events.length, duplicates: 0, rejected: 0, results: request.events.map((e) => ({ event_id: e.event_id, status: "accepted" })) } };
}

/** What the observer (the client's outage monitor) was told, in order. */
export function recordingObserver(): AttemptObserver & { log: string[] } {
  const log: string[] = [];
  return {
    log,
    failed: (error) => void log.push(`failed ${error.code}`),
    answered: () => void log.push("answered"),
    retrying: () => void log.push("retrying"),
  };
}

/** The client's sending chain, RetryingTransport over FetchTransport over the in-memory server. */
export function retryingOverMemory(answer: (request: Received, index: number) => Answer | Error, policy: RetryPolicy, clock = fakeClock()) {
  const server = inMemoryServer(answer, clock);
  const observer = recordingObserver();
  const gate = new RateLimitGate(clock.platform);
  const inner = new FetchTransport(server.fetchImpl, API_KEY, 10_000, clock.platform, false);
  const transport = new RetryingTransport(inner, policy, gate, clock.platform, observer);
  return { transport, server, observer, gate, clock };
}
