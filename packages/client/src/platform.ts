/**
 * The platform functions the core uses, injected so tests can drive time, randomness and the
 * network (the PostHog node sender's hooks object, OpenTelemetry's injected timers). Only this
 * file and the fetch transport touch the real platform.
 */

/** The `fetch` subset the SDK calls. The global `fetch` of Node.js >= 18 fits. */
export type FetchLike = (
  url: string,
  init: { method: string; headers: Record<string, string>; body: string | Uint8Array; signal: AbortSignal },
) => Promise<FetchResponseLike>;

/** The `Response` subset the SDK reads. */
export interface FetchResponseLike {
  readonly status: number;
  readonly headers: { get(name: string): string | null };
  text(): Promise<string>;
}

/**
 * Hooks for tests (not needed in production): replace the clock, sleeping, randomness and timers.
 * Every hook is optional; the defaults use the real platform and never keep the process alive.
 */
export interface TelemetryClientHooks {
  /** Milliseconds since the epoch. @default Date.now */
  now?: () => number;
  /** Resolves after `ms` or as soon as `signal` aborts; never rejects. @default an unref'd setTimeout */
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
  /** A number in [0, 1) for backoff jitter. @default Math.random */
  random?: () => number;
  /** Calls `fn` every `ms` until the returned function is called. @default an unref'd setInterval */
  every?: (fn: () => void, ms: number) => () => void;
  /**
   * Calls `fn` once after `ms` unless the returned function is called first. With `keepAlive`
   * the timer holds the process open until then (only stop()'s deadline asks for that).
   * @default an unref'd setTimeout (a ref'd one with `keepAlive`)
   */
  after?: (fn: () => void, ms: number, keepAlive?: boolean) => () => void;
}

/** The complete set of platform functions, after defaults. */
export interface Platform {
  readonly now: () => number;
  readonly sleep: (ms: number, signal?: AbortSignal) => Promise<void>;
  readonly random: () => number;
  readonly every: (fn: () => void, ms: number) => () => void;
  readonly after: (fn: () => void, ms: number, keepAlive?: boolean) => () => void;
}

/** Sleeps on an unref'd timer, so a pending retry never keeps the process alive. */
function realSleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted === true) return resolve();
    const done = (): void => {
      clearTimeout(timer);
      signal?.removeEventListener("abort", done);
      resolve();
    };
    const timer = setTimeout(done, Math.max(0, ms));
    timer.unref?.();
    signal?.addEventListener("abort", done, { once: true });
  });
}

function realEvery(fn: () => void, ms: number): () => void {
  const timer = setInterval(fn, ms);
  timer.unref?.();
  return () => clearInterval(timer);
}

function realAfter(fn: () => void, ms: number, keepAlive = false): () => void {
  const timer = setTimeout(fn, ms);
  if (!keepAlive) timer.unref?.();
  return () => clearTimeout(timer);
}

/** The platform with each missing hook replaced by the real function. */
export function resolvePlatform(hooks: TelemetryClientHooks | undefined): Platform {
  return Object.freeze({
    now: hooks?.now ?? Date.now,
    sleep: hooks?.sleep ?? realSleep,
    random: hooks?.random ?? Math.random,
    every: hooks?.every ?? realEvery,
    after: hooks?.after ?? realAfter,
  });
}
