import { homedir } from "node:os";
import { join } from "node:path";

/** The folders the CLI uses, by the XDG Base Directory rules (absolute paths only; else the default). */
export interface Paths {
  /** `$XDG_CONFIG_HOME/mosaic-telemetry`, default `~/.config/mosaic-telemetry`: config.json. */
  configDir: string;
  /** `$XDG_STATE_HOME/mosaic-telemetry`, default `~/.local/state/mosaic-telemetry`: spool and session estimates. */
  stateDir: string;
  /** The SDK's durable spool: events not yet delivered, kept across runs. */
  spoolDir: string;
  /** SessionStart estimates, one file per session, taken by SessionEnd. */
  estimatesDir: string;
  home: string;
}

function xdg(env: NodeJS.ProcessEnv, name: string, fallback: string): string {
  const value = env[name];
  // XDG: "If an implementation encounters a relative path in any of these variables it should consider the path invalid and ignore it."
  return value !== undefined && value.startsWith("/") ? value : fallback;
}

export function resolvePaths(env: NodeJS.ProcessEnv): Paths {
  const home = env["HOME"] && env["HOME"] !== "" ? env["HOME"] : homedir();
  const stateDir = join(xdg(env, "XDG_STATE_HOME", join(home, ".local", "state")), "mosaic-telemetry");
  return {
    configDir: join(xdg(env, "XDG_CONFIG_HOME", join(home, ".config")), "mosaic-telemetry"),
    stateDir,
    spoolDir: join(stateDir, "spool"),
    estimatesDir: join(stateDir, "estimates"),
    home,
  };
}
