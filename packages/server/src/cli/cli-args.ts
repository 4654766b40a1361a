/** A parsed command line: positional words and --flags (`--name x`, `--name=x`, `--json`). */
export interface ParsedArgs {
  positionals: string[];
  flags: Map<string, string | true>;
}

/** Flags that take a value; any other flag is a switch. */
const VALUE_FLAGS = new Set(["name", "server", "since"]);

export class UsageError extends Error {
  override readonly name = "UsageError";
}

export function parseArgs(argv: readonly string[]): ParsedArgs {
  const positionals: string[] = [];
  const flags = new Map<string, string | true>();
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    if (arg === "--") {
      positionals.push(...argv.slice(i + 1));
      break;
    }
    if (arg === "-h") {
      flags.set("help", true);
      continue;
    }
    if (!arg.startsWith("--")) {
      positionals.push(arg);
      continue;
    }
    const eq = arg.indexOf("=");
    const name = eq === -1 ? arg.slice(2) : arg.slice(2, eq);
    if (eq !== -1) {
      flags.set(name, arg.slice(eq + 1));
    } else if (VALUE_FLAGS.has(name)) {
      const value = argv[i + 1];
      if (value === undefined || value.startsWith("--")) throw new UsageError(`--${name} needs a value`);
      flags.set(name, value);
      i++;
    } else {
      flags.set(name, true);
    }
  }
  return { positionals, flags };
}

/**
 * Refuses options the command does not know, naming them all: a mistyped `--sevrer` must not
 * silently fall back to the default server.
 *
 * @example
 * rejectUnknownFlags(args, ["server", "json"]) // throws UsageError("unknown option: --sevrer")
 */
export function rejectUnknownFlags(args: ParsedArgs, known: readonly string[]): void {
  const unknown = [...args.flags.keys()].filter((name) => name !== "help" && !known.includes(name));
  if (unknown.length > 0) {
    throw new UsageError(`unknown option${unknown.length > 1 ? "s" : ""}: ${unknown.map((name) => `--${name}`).join(", ")}`);
  }
}
