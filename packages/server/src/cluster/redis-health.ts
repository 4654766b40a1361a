/** Whether the processes' shared Redis answers right now. */
export type RedisState = "up" | "down";

/**
 * What readyz and the rate limiter know of Redis. The limiter reports the outcome of its
 * commands, so a Redis that stalls while its connection looks open also counts as down.
 */
export interface RedisHealth {
  state(): RedisState;
  reportCommandFailure(error: Error): void;
  reportCommandSuccess(): void;
}

interface WarnLog {
  warn(fields: object, message: string): void;
  info(fields: object, message: string): void;
}

/**
 * A RedisHealth that only follows command outcomes and logs one warning per outage: for a
 * Redis client handed in without a RedisLink (tests, embedders).
 */
export function commandOutcomeHealth(log: WarnLog): RedisHealth {
  let state: RedisState = "up";
  return {
    state: () => state,
    reportCommandFailure(error) {
      if (state === "down") return;
      state = "down";
      log.warn({ reason: error.message }, "redis command failed: rate limits count per process until it answers again");
    },
    reportCommandSuccess() {
      if (state === "up") return;
      state = "up";
      log.info({}, "redis answers again: rate limits shared");
    },
  };
}
