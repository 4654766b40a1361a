import { readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import type { Command } from "../command.js";
import { configFile, maskKey, resolveConfig } from "../config/user-config.js";
import { PRICE_TABLE_VERSION } from "../pricing/price-table.js";
import { openClient, requireSettings } from "../telemetry/open-client.js";

/** Files and bytes in the spool folder (the SDK's format is its own: the CLI only counts). */
function spoolContents(dir: string): { files: number; bytes: number } | null {
  try {
    let files = 0;
    let bytes = 0;
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      if (!entry.isFile()) continue;
      files++;
      bytes += statSync(join(dir, entry.name)).size;
    }
    return { files, bytes };
  } catch {
    return null;
  }
}

/** One request with a deadline; the answer's status, or why there was none. */
async function probe(url: string, init: RequestInit, timeoutMs: number): Promise<{ status: number; ms: number } | { error: string }> {
  const started = Date.now();
  try {
    const response = await fetch(url, { ...init, signal: AbortSignal.timeout(timeoutMs) });
    await response.arrayBuffer();
    return { status: response.status, ms: Date.now() - started };
  } catch (error) {
    const cause = (error as { cause?: { code?: string } }).cause?.code;
    return { error: (error as Error).name === "TimeoutError" ? `no answer within ${timeoutMs} ms` : (cause ?? (error as Error).message) };
  }
}

export const status: Command = {
  path: "status",
  args: "",
  summary: "Show the configuration, whether the server answers, and the spool",
  details: "Exit code 1 when the configuration is incomplete or the server does not answer.",
  options: [],
  maxPositionals: 0,
  async run(_args, { io, paths }) {
    const config = resolveConfig(paths.configDir, io.env);
    const line = (label: string, value: string): void => io.stdout(`${label.padEnd(12)} ${value}\n`);
    line("config file", configFile(paths.configDir));
    line("url", config.url.value ?? "(unset)");
    line("key", config.key.value === null ? "(unset)" : maskKey(config.key.value));
    line("instance", config.instance.value ?? "(unset)");
    let healthy = config.url.value !== null && config.key.value !== null && config.instance.value !== null;
    if (config.url.value !== null) {
      const base = config.url.value.endsWith("/") ? config.url.value : `${config.url.value}/`;
      const health = await probe(new URL("healthz", base).toString(), {}, 3000);
      line("server", "error" in health ? `unreachable (${health.error})` : health.status === 200 ? `reachable (${health.ms} ms)` : `answers HTTP ${health.status}`);
      if ("error" in health || health.status !== 200) healthy = false;
      else if (config.key.value !== null) {
        // A one-query prediction request tells whether the key is accepted, without sending an event.
        const auth = await probe(
          new URL("v1/predictions/batch", base).toString(),
          {
            method: "POST",
            headers: { "content-type": "application/json", authorization: `Bearer ${config.key.value}` },
            body: JSON.stringify({ queries: [{ task_type: "unknown", model: "status-check", provider: "unknown", complexity: "medium" }] }),
          },
          3000,
        );
        const verdict = "error" in auth ? auth.error : auth.status === 200 ? "accepted" : auth.status === 401 ? "refused (401)" : `HTTP ${auth.status}`;
        line("key check", verdict);
        if (!("status" in auth) || auth.status !== 200) healthy = false;
      }
    }
    const spool = spoolContents(paths.spoolDir);
    line("spool", `${paths.spoolDir}: ${spool === null ? "empty (no folder yet)" : `${spool.files} files, ${spool.bytes} bytes`}`);
    const settings = requireSettings(config);
    if (spool !== null && !("missing" in settings)) {
      // A client on the folder takes over what finished processes left (that is how a later run
      // delivers it); a zero deadline stops it before it sends, so the events stay for that run.
      const client = openClient(settings, paths, { stopTimeoutMs: 0, requestTimeoutMs: 1, maxRetries: 0 }, () => {}, false);
      const waiting = client.getStats().recovered;
      await client.stop();
      line("", `${waiting} events waiting; the next hook, import or send delivers them`);
    }
    line("prices", PRICE_TABLE_VERSION);
    return healthy ? 0 : 1;
  },
};
