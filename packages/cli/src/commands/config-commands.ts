import type { Command } from "../command.js";
import { usageError } from "../command.js";
import { SETTINGS, SETTING_ENV, configFile, maskKey, resolveConfig, writeSetting, type Setting } from "../config/user-config.js";

export const configSet: Command = {
  path: "config set",
  args: "url|key|instance <value>",
  summary: "Save a setting in the user config file (mode 0600)",
  details:
    "Writes $XDG_CONFIG_HOME/mosaic-telemetry/config.json (~/.config when unset).\n" +
    "TELEMETRY_API_URL, TELEMETRY_API_KEY and TELEMETRY_INSTANCE_ID override the file.",
  options: [],
  maxPositionals: 2,
  async run(args, { io, paths }) {
    const [name, value] = args.positionals;
    if (name === undefined || !(SETTINGS as readonly string[]).includes(name)) return usageError(io, "config set", `the setting must be one of ${SETTINGS.join(", ")}`);
    if (value === undefined || value.trim() === "") return usageError(io, "config set", `a value for ${name} is needed`);
    if (name === "url") {
      try {
        const url = new URL(value);
        if (url.protocol !== "http:" && url.protocol !== "https:") throw new Error("scheme");
      } catch {
        return usageError(io, "config set", "url must be an http or https URL");
      }
    }
    writeSetting(paths.configDir, name as Setting, value.trim());
    io.stdout(`${name} saved in ${configFile(paths.configDir)}\n`);
    return 0;
  },
};

export const configShow: Command = {
  path: "config show",
  args: "",
  summary: "Show the settings and where each comes from (key masked)",
  details: "",
  options: [],
  maxPositionals: 0,
  async run(_args, { io, paths }) {
    const config = resolveConfig(paths.configDir, io.env);
    io.stdout(`config file  ${configFile(paths.configDir)}\n`);
    for (const name of SETTINGS) {
      const { value, source } = config[name];
      const shown = value === null ? "(unset)" : name === "key" ? maskKey(value) : value;
      const from = source === "env" ? `  (from ${SETTING_ENV[name]})` : source === "file" ? "  (from the config file)" : "";
      io.stdout(`${name.padEnd(11)}  ${shown}${from}\n`);
    }
    return 0;
  },
};
