/** One option a command accepts. */
export interface OptionSpec {
  name: string;
  /** A string option takes a value (`--since 2026-01-01` or `--since=2026-01-01`). */
  type: "boolean" | "string";
  /** For help: the value's placeholder (string options). */
  value?: string;
  description: string;
}

export interface ParsedArgs {
  options: Record<string, string | boolean | undefined>;
  positionals: string[];
  help: boolean;
}

/**
 * Parses argv against a command's options. Unknown options are refused by name, as the issue
 * asks; `--help`/`-h` is always accepted; `-` alone is a positional (stdin); `--` ends options.
 */
export function parseArgs(argv: readonly string[], specs: readonly OptionSpec[], maxPositionals: number): ParsedArgs | { error: string } {
  const options: ParsedArgs["options"] = {};
  const positionals: string[] = [];
  let help = false;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    if (arg === "--") {
      positionals.push(...argv.slice(i + 1));
      break;
    }
    if (arg === "--help" || arg === "-h") {
      help = true;
      continue;
    }
    if (arg.startsWith("-") && arg !== "-") {
      const [flag, inline] = arg.includes("=") ? [arg.slice(0, arg.indexOf("=")), arg.slice(arg.indexOf("=") + 1)] : [arg, undefined];
      const spec = flag.startsWith("--") ? specs.find((s) => s.name === flag.slice(2)) : undefined;
      if (spec === undefined) return { error: `unknown option ${flag}` };
      if (spec.type === "boolean") {
        if (inline !== undefined) return { error: `option --${spec.name} takes no value` };
        options[spec.name] = true;
      } else {
        const value = inline ?? argv[++i];
        if (value === undefined || (inline === undefined && value.startsWith("--"))) return { error: `option --${spec.name} needs a value` };
        options[spec.name] = value;
      }
      continue;
    }
    positionals.push(arg);
  }
  if (!help && positionals.length > maxPositionals) return { error: `unexpected argument ${positionals[maxPositionals]}` };
  return { options, positionals, help };
}
