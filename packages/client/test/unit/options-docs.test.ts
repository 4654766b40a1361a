import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { DEFAULTS, type TelemetryClientOptions } from "../../src/options.js";
import { CLIENT_DIR } from "../helpers/dist.js";

/** The README's options table: option name -> its "default" cell. */
function readmeOptionDefaults(): Map<string, string> {
  const readme = readFileSync(`${CLIENT_DIR}/README.md`, "utf8");
  const section = readme.slice(readme.indexOf("## Options"), readme.indexOf("## Behaviour"));
  const rows = [...section.matchAll(/^\| `(\w+)` \| ([^|]+) \|/gm)];
  return new Map(rows.map((row) => [row[1] as string, (row[2] as string).trim()]));
}

/** Every option of the type: an option added to the interface and not here fails the typecheck. */
const EVERY_OPTION: Record<keyof TelemetryClientOptions, true> = {
  serverUrl: true,
  apiKey: true,
  instanceId: true,
  enabled: true,
  dryRun: true,
  submitIntervalMs: true,
  batchSize: true,
  maxRetries: true,
  onError: true,
  maxQueueSize: true,
  maxQueueBytes: true,
  requestTimeoutMs: true,
  predictionCacheTtlMs: true,
  stopTimeoutMs: true,
  spoolDir: true,
  spoolMaxBytes: true,
  sendOnExit: true,
  gzip: true,
  fetch: true,
  hooks: true,
};

describe("the README's options table", () => {
  // The issue: "every option documented with its default". The code's DEFAULTS are the truth.
  it("gives every defaulted option with the default the code applies", () => {
    const documented = readmeOptionDefaults();
    for (const [name, value] of Object.entries(DEFAULTS)) {
      expect(documented.get(name), name).toBe(`\`${String(value)}\``);
    }
  });

  it("lists every option of TelemetryClientOptions, the three without a default as required", () => {
    const documented = readmeOptionDefaults();
    expect([...documented.keys()].sort()).toEqual(Object.keys(EVERY_OPTION).sort());
    for (const name of ["serverUrl", "apiKey", "instanceId"]) expect(documented.get(name), name).toBe("(required)");
  });
});
