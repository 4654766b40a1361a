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

/**
 * Refuses words beyond the operands a command's usage line names (`backup <file>`: one), as
 * unknown options are: `keys revoke a b` must not revoke `a` and drop `b` silently.
 *
 * @example
 * rejectSurplusOperands(["a", "b"], "keys revoke <key-id>") // throws UsageError("unexpected argument: b")
 */
export function rejectSurplusOperands(operands: readonly string[], usage: string): void {
  const words = usage.split(" ");
  // An operand is a <placeholder> that is not the value of a --flag before it.
  const expected = words.filter((word, i) => word.startsWith("<") && !(words[i - 1] ?? "").replace("[", "").startsWith("--")).length;
  const surplus = operands.slice(expected);
  if (surplus.length > 0) throw new UsageError(`unexpected argument${surplus.length > 1 ? "s" : ""}: ${surplus.join(" ")}`);
}
