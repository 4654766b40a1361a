import { describe, expect, it } from "vitest";
import { hookTimes } from "../src/telemetry/open-client.js";

describe("the hooks' time bounds", () => {
  it("by default fit Claude Code's 1.5 s for SessionEnd", () => {
    expect(hookTimes({})).toEqual({
      budgetMs: 1300,
      report: { stopTimeoutMs: 700, requestTimeoutMs: 600, maxRetries: 0 },
      sessionStart: { stopTimeoutMs: 400, requestTimeoutMs: 600, maxRetries: 0 },
      gitMs: 300,
    });
  });

  it("scale together with MOSAIC_HOOK_TIMEOUT_MS, and ignore a value that is not a positive whole number", () => {
    expect(hookTimes({ MOSAIC_HOOK_TIMEOUT_MS: "2600" })).toEqual({
      budgetMs: 2600,
      report: { stopTimeoutMs: 1400, requestTimeoutMs: 1200, maxRetries: 0 },
      sessionStart: { stopTimeoutMs: 800, requestTimeoutMs: 1200, maxRetries: 0 },
      gitMs: 600,
    });
    for (const raw of ["", "0", "-5", "1.5", "soon"]) expect(hookTimes({ MOSAIC_HOOK_TIMEOUT_MS: raw }).budgetMs).toBe(1300);
  });
});
