import type { OptionSpec, ParsedArgs } from "./args.js";
import type { Paths } from "./config/paths.js";
import type { Io } from "./io.js";

export interface Context {
  io: Io;
  paths: Paths;
}

/** One `mosaic` command: what its help says, what it accepts, and what it does. */
export interface Command {
  /** The words that name it: "claude-code hook". */
  path: string;
  /** Its arguments after the path, for help: "[FILE|-]". */
  args: string;
  /** One line in `mosaic --help`. */
  summary: string;
  /** More lines for `mosaic <command> --help`. */
  details: string;
  options: OptionSpec[];
  maxPositionals: number;
  /** The exit code. */
  run(args: ParsedArgs, context: Context): Promise<number>;
}

/** A usage error (unknown option, missing value): one line and exit code 2. */
export function usageError(io: Io, command: string, message: string): number {
  io.stderr(`mosaic ${command}: ${message} (see \`mosaic ${command} --help\`)\n`);
  return 2;
}
