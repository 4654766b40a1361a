import { readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { runCli, tempHome, type TempHome } from "./helpers/run-cli.js";

const KEY = "msk_" + "A1b2C3d4".repeat(5) + "_abc123";

describe("mosaic config", () => {
  let temp: TempHome;
  beforeEach(() => (temp = tempHome()));
  afterEach(() => temp.cleanup());

  it("writes a 0600 file under XDG_CONFIG_HOME, shows the key masked, and the environment wins", async () => {
    for (const [name, value] of [["url", "http://127.0.0.1:9"], ["key", KEY], ["instance", "3f0c1d2e-0000-4000-8000-000000000001"]]) {
      expect((await runCli(["config", "set", name as string, value as string], { env: temp.env })).code).toBe(0);
    }
    const file = join(temp.home, ".config", "mosaic-telemetry", "config.json");
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(JSON.parse(readFileSync(file, "utf8"))).toEqual({ url: "http://127.0.0.1:9", key: KEY, instance: "3f0c1d2e-0000-4000-8000-000000000001" });
    const shown = await runCli(["config", "show"], { env: { ...temp.env, TELEMETRY_API_URL: "http://example.test" } });
    expect(shown.stdout).toContain("key          msk_A1b2…c123  (from the config file)");
    expect(shown.stdout).toContain("url          http://example.test  (from TELEMETRY_API_URL)");
    expect(shown.stdout).not.toContain(KEY);
  });

  it("refuses an unknown setting and a URL that is not http(s)", async () => {
    expect((await runCli(["config", "set", "colour", "blue"], { env: temp.env })).code).toBe(2);
    expect((await runCli(["config", "set", "url", "ftp://x"], { env: temp.env })).stderr).toContain("url must be an http or https URL");
  });

  it("status says what is missing and that the server is unreachable, with exit code 1", async () => {
    await runCli(["config", "set", "url", "http://127.0.0.1:9"], { env: temp.env });
    const run = await runCli(["status"], { env: temp.env });
    expect(run.code).toBe(1);
    expect(run.stdout).toContain("key          (unset)");
    expect(run.stdout).toMatch(/server +unreachable/);
    expect(run.stdout).toMatch(/spool +.*mosaic-telemetry\/spool/);
    expect(run.stdout).toMatch(/prices +@pydantic\/genai-prices@/);
  });
});
