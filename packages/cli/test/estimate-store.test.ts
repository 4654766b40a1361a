import { existsSync, mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { dropEstimate, readEstimate, saveEstimate } from "../src/capture/estimate-store.js";

describe("session estimates between SessionStart and SessionEnd", () => {
  let dir: string;
  beforeEach(() => {
    dir = join(mkdtempSync(join(tmpdir(), "mosaic-estimates-")), "estimates");
  });
  afterEach(() => rmSync(join(dir, ".."), { recursive: true, force: true }));

  it("keeps the first estimate of a session, reads it back, and drops it", () => {
    saveEstimate(dir, "s/../1", { input_tokens: 10, output_tokens: 5, cost_usd_micros: 7 }, Date.now());
    saveEstimate(dir, "s/../1", { input_tokens: 99, output_tokens: 99, cost_usd_micros: 99 }, Date.now());
    expect(readEstimate(dir, "s/../1")).toEqual({ input_tokens: 10, output_tokens: 5, cost_usd_micros: 7 });
    dropEstimate(dir, "s/../1");
    expect(readEstimate(dir, "s/../1")).toBeNull();
  });

  it("removes estimates older than a week (sessions that never ended) when it saves one", () => {
    mkdirSync(dir, { recursive: true });
    const old = join(dir, "old.json");
    writeFileSync(old, "{}");
    const eightDaysAgo = new Date(Date.now() - 8 * 24 * 60 * 60 * 1000);
    utimesSync(old, eightDaysAgo, eightDaysAgo);
    saveEstimate(dir, "new", { input_tokens: 1, output_tokens: 1, cost_usd_micros: 1 }, Date.now());
    expect(existsSync(old)).toBe(false);
    expect(readEstimate(dir, "new")).not.toBeNull();
  });
});
