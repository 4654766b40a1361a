import { parseArgs } from "./args.js";
import { usageError, type Command } from "./command.js";
import { claudeHook } from "./commands/claude-hook.js";
import { claudeImport } from "./commands/claude-import.js";
import { claudeInstall, claudeUninstall } from "./commands/claude-install.js";
import { codexImport, codexNotify } from "./commands/codex-commands.js";
import { configSet, configShow } from "./commands/config-commands.js";
import { predict } from "./commands/predict.js";
import { send } from "./commands/send.js";
import { status } from "./commands/status.js";
import { resolvePaths } from "./config/paths.js";
import type { Io } from "./io.js";

export const VERSION = "0.1.0";

/** Every command, in the order `mosaic --help` lists them. */
export const COMMANDS: readonly Command[] = [
  configSet,
  configShow,
  status,
  claudeInstall,
  claudeUninstall,
  claudeHook,
  claudeImport,
  codexImport,
  codexNotify,
  send,
  predict,
];

function usageLine(command: Command): string {
  return `mosaic ${command.path}${command.args ? ` ${command.args}` : ""}`;
}

/** `mosaic --help`: the README's "Commands" block is this text (a test compares them). */
export function mainHelp(): string {
  const rows = COMMANDS.map((c) => `  ${c.path.padEnd(22)} ${c.summary}`);
  return [
    "mosaic: report AI coding sessions to Mosaic Telemetry, and read what tasks cost",
    "",
    "Usage: mosaic <command> [options]",
    "",
    "Commands:",
    ...rows,
    "",
    "Settings: `mosaic config set url|key|instance`, or TELEMETRY_API_URL, TELEMETRY_API_KEY and",
    "TELEMETRY_INSTANCE_ID, which override the config file.",
    "Run `mosaic <command> --help` for a command's options.",
    "",
  ].join("\n");
}

export function commandHelp(command: Command): string {
  const options = [...command.options, { name: "help", type: "boolean" as const, description: "show this help" }];
  const rows = options.map((o) => `  ${`--${o.name}${o.type === "string" ? ` ${o.value ?? "VALUE"}` : ""}`.padEnd(18)} ${o.description}`);
  return [`Usage: ${usageLine(command)}`, "", command.summary + ".", ...(command.details ? ["", command.details] : []), "", "Options:", ...rows, ""].join("\n");
}

/** Runs one command line; resolves with the exit code. */
export async function runCli(argv: readonly string[], io: Io): Promise<number> {
  const [first, second] = argv;
  if (first === undefined || first === "--help" || first === "-h" || first === "help") {
    io.stdout(mainHelp());
    return first === undefined ? 2 : 0;
  }
  if (first === "--version" || first === "-v") {
    io.stdout(`${VERSION}\n`);
    return 0;
  }
  const command = COMMANDS.find((c) => c.path === `${first} ${second}`) ?? COMMANDS.find((c) => c.path === first);
  if (command === undefined) {
    const group = COMMANDS.filter((c) => c.path.startsWith(`${first} `));
    if (group.length > 0) {
      const known = group.map((c) => c.path.split(" ")[1]).join(", ");
      if (second === undefined || second === "--help" || second === "-h") {
        io.stdout(`Usage: mosaic ${first} <${known.replace(/, /g, "|")}>\n\n${group.map((c) => `  ${c.path.padEnd(22)} ${c.summary}`).join("\n")}\n`);
        return second === undefined ? 2 : 0;
      }
      io.stderr(`mosaic: unknown command "${first} ${second}" (the ${first} commands are ${known}; see \`mosaic --help\`)\n`);
      return 2;
    }
    io.stderr(`mosaic: unknown command "${first}" (see \`mosaic --help\`)\n`);
    return 2;
  }
  const rest = argv.slice(command.path.split(" ").length);
  const args = parseArgs(rest, command.options, command.maxPositionals);
  if ("error" in args) return usageError(io, command.path, args.error);
  if (args.help) {
    io.stdout(commandHelp(command));
    return 0;
  }
  return command.run(args, { io, paths: resolvePaths(io.env) });
}
