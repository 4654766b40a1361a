import { describe, expect, it } from "vitest";
import { backoffDelay } from "../../src/transport/backoff.js";
import { MAX_RETRY_AFTER_MS, parseRetryAfter } from "../../src/transport/retry-after.js";

describe("backoffDelay", () => {
  it("doubles from 1 s with equal jitter", () => {
    expect([0, 1, 2, 3].map((a) => backoffDelay(a, () => 0))).toEqual([500, 1000, 2000, 4000]);
    expect([0, 1, 2, 3].map((a) => backoffDelay(a, () => 0.999999))).toEqual([1000, 2000, 4000, 8000]);
  });

  it("is capped at 60 s", () => {
    expect(backoffDelay(6, () => 0.999999)).toBe(60_000);
    expect(backoffDelay(50, () => 0.999999)).toBe(60_000);
  });
});

describe("parseRetryAfter", () => {
  const now = Date.parse("2026-03-01T12:00:00.000Z");

  it("reads delay seconds", () => {
    expect(parseRetryAfter("7", now)).toBe(7000);
    expect(parseRetryAfter(" 0 ", now)).toBe(0);
  });

  it("reads an HTTP date relative to now, never negative", () => {
    expect(parseRetryAfter(new Date(now + 20_000).toUTCString(), now)).toBe(20_000);
    expect(parseRetryAfter(new Date(now - 20_000).toUTCString(), now)).toBe(0);
  });

  it("ignores absent or unreadable values and caps huge ones", () => {
    expect(parseRetryAfter(null, now)).toBeUndefined();
    expect(parseRetryAfter("soon", now)).toBeUndefined();
    expect(parseRetryAfter("99999999", now)).toBe(MAX_RETRY_AFTER_MS);
  });
});
