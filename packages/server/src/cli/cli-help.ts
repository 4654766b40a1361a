/** The server of the admin commands when neither --server nor MOSAIC_SERVER_URL says. */
export const DEFAULT_SERVER_URL = "http://localhost:8000";

/** One command: its usage line, the options it accepts (so others are refused) and its help. */
export interface CommandSpec {
  usage: string;
  options: readonly string[];
  help: string;
}

const SERVER_OPTIONS = `Options:
  --server <url>   server to call (env MOSAIC_SERVER_URL, default ${DEFAULT_SERVER_URL})
  --json           print the server's JSON answer
  -h, --help       this help

The admin token comes from TELEMETRY_ADMIN_TOKEN, else from <DATA_DIR or ./data>/admin-token.
`;

const ADMIN = ["server", "json"] as const;

/** Every command, by its words ("instances create"). */
export const COMMANDS: Readonly<Record<string, CommandSpec>> = Object.freeze({
  serve: {
    usage: "serve",
    options: [],
    help: "Starts the API v1 server, configured by environment variables (docs/configuration.md).\nSIGTERM or SIGINT drains and stops it.\n",
  },
  migrate: {
    usage: "migrate",
    options: [],
    help: "Applies pending storage migrations to DATABASE_URL (or the SQLite file in DATA_DIR) and exits.\nSafe while servers run against the same database.\n",
  },
  backup: {
    usage: "backup <file>",
    options: [],
    help:
      "Writes a consistent copy of the SQLite database to <file> (SQLite's online backup: the\n" +
      "server may go on serving and writing meanwhile). The file must not exist.\n" +
      "PostgreSQL: use pg_dump (docs/operations.md, Backup).\n",
  },
  export: {
    usage: "export <instance-id> [--since <date>]",
    options: ["since"],
    help:
      "Prints the stored events of one instance as JSON lines on stdout, oldest first, streamed.\n" +
      "Reads the database directly (DATABASE_URL or DATA_DIR, like the server), SQLite or PostgreSQL.\n\n" +
      "Options:\n  --since <date>   only events received at or after this date (ISO 8601, e.g. 2026-11-01)\n",
  },
  "instances create": {
    usage: "instances create --name <name> [--force]",
    options: [...ADMIN, "name", "force"],
    help:
      "Creates an instance and prints its first API key (shown once).\n" +
      "An instance with the same name already existing: refused unless --force (names need not be unique).\n\n" +
      "  --name <name>    the instance's name (1 to 200 characters)\n  --force          create it even when the name is taken\n" +
      SERVER_OPTIONS,
  },
  "instances list": { usage: "instances list", options: ADMIN, help: "Lists instances and their keys (display form only).\n\n" + SERVER_OPTIONS },
  "instances usage": { usage: "instances usage <instance-id>", options: ADMIN, help: "Prints an instance's event counts.\n\n" + SERVER_OPTIONS },
  "keys create": { usage: "keys create <instance-id>", options: ADMIN, help: "Issues an additional API key (shown once).\n\n" + SERVER_OPTIONS },
  "keys revoke": { usage: "keys revoke <key-id>", options: ADMIN, help: "Revokes an API key at once, on every server process.\n\n" + SERVER_OPTIONS },
});

/** Command groups: a group named alone prints its commands. */
export const GROUPS: readonly string[] = ["instances", "keys"];

/** The help of one command. */
export function commandHelp(words: string): string {
  const spec = COMMANDS[words] as CommandSpec;
  return `Usage: mosaic-telemetry ${spec.usage}\n\n${spec.help}`;
}

/** The help of a group: its commands, one line each. */
export function groupHelp(group: string): string {
  const lines = Object.entries(COMMANDS)
    .filter(([words]) => words.startsWith(`${group} `))
    .map(([, spec]) => `  mosaic-telemetry ${spec.usage}`);
  return `Usage: mosaic-telemetry ${group} <command> [options]\n\n${lines.join("\n")}\n\nmosaic-telemetry ${group} <command> --help for one command.\n`;
}

export const HELP = `Usage: mosaic-telemetry <command> [options]

Server:
  serve                          start the API v1 server (configured by environment, see docs/configuration.md)
  migrate                        apply pending storage migrations to DATABASE_URL and exit
  backup <file>                  consistent copy of the SQLite database while the server runs
  export <instance-id>           an instance's events as JSON lines (--since <date>)

Administration (calls the admin API of a running server):
  instances create --name <n>    create an instance; prints its first API key (shown once)
  instances list                 list instances and their keys (display form only)
  instances usage <instance-id>  event counts of an instance
  keys create <instance-id>      issue an additional API key (shown once)
  keys revoke <key-id>           revoke an API key at once

Options:
  --server <url>   server of the admin commands (env MOSAIC_SERVER_URL, default ${DEFAULT_SERVER_URL})
  --json           print the server's JSON answer
  -h, --help       this help; after a command, that command's help

The admin token comes from TELEMETRY_ADMIN_TOKEN, else from <DATA_DIR or ./data>/admin-token.
`;
