import { join, resolve } from "node:path";
import type {
  ApiKeySummary,
  CreateInstanceResponse,
  InstanceListResponse,
  InstanceUsageResponse,
  IssuedApiKey,
} from "@mosaicstack/telemetry-protocol";
import { adminTokenPath, readTokenFile } from "../config/admin-token-file.js";
import { ConfigError } from "../config/config-error.js";
import { loadConfig, type Env } from "../config/config.js";
import type { CreateApiKeyResponse, RevokeApiKeyResponse } from "@mosaicstack/telemetry-protocol";
import { migrate } from "../storage/open-storage.js";
import { AdminApiError, AdminClient, type FetchLike } from "./admin-client.js";
import { UsageError, parseArgs, rejectSurplusOperands, rejectUnknownFlags, type ParsedArgs } from "./cli-args.js";
import { COMMANDS, DEFAULT_SERVER_URL, GROUPS, HELP, commandHelp, groupHelp } from "./cli-help.js";
import { runBackup, runExport } from "./data-commands.js";

export { DEFAULT_SERVER_URL, HELP } from "./cli-help.js";

export interface CliIo {
  env: Env;
  cwd: string;
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  fetch?: FetchLike;
  /** Where export writes its lines; resolves once the text is handed on (backpressure). @default stdout */
  write?: (text: string) => Promise<void>;
  /** Runs the server (serve); resolves when it is up, the process keeps running. */
  serve?: () => Promise<void>;
}

/**
 * Runs one command line; resolves to the exit code (0 ok, 1 failed, 2 usage error).
 *
 * @example
 * process.exitCode = await runCli(process.argv.slice(2), { env: process.env, cwd: process.cwd(), stdout, stderr });
 */
export async function runCli(argv: readonly string[], io: CliIo): Promise<number> {
  let args: ParsedArgs;
  try {
    args = parseArgs(argv);
  } catch (error) {
    io.stderr(`mosaic-telemetry: ${(error as Error).message}\n${HELP}`);
    return 2;
  }
  const [command, sub] = args.positionals;
  if (command === undefined || command === "help") {
    io.stdout(HELP);
    return command === undefined && !args.flags.has("help") ? 2 : 0;
  }
  try {
    const grouped = GROUPS.includes(command);
    const words = grouped && sub !== undefined ? `${command} ${sub}` : command;
    // A group named alone (or with --help): its commands, as a usage error when nothing was asked.
    if (grouped && sub === undefined) {
      (args.flags.has("help") ? io.stdout : io.stderr)(groupHelp(command));
      return args.flags.has("help") ? 0 : 2;
    }
    const spec = COMMANDS[words];
    if (spec === undefined) {
      if (args.flags.has("help") && !grouped) {
        io.stdout(HELP);
        return 0;
      }
      throw new UsageError(`unknown command: ${words}`);
    }
    if (args.flags.has("help")) {
      io.stdout(commandHelp(words));
      return 0;
    }
    rejectUnknownFlags(args, spec.options);
    const operands = args.positionals.slice(grouped ? 2 : 1);
    rejectSurplusOperands(operands, spec.usage);
    const operand = operands[0];
    switch (words) {
      case "serve":
        if (io.serve === undefined) throw new UsageError("serve is not available here");
        await io.serve();
        return 0;
      case "migrate":
        return await runMigrate(io);
      case "backup":
        return await runBackup(io, required(operand, spec.usage));
      case "export":
        return await runExport(args, io, required(operand, spec.usage));
      case "instances create":
        return await createInstance(args, io);
      case "instances list":
        return await listInstances(args, io);
      case "instances usage":
        return await instanceUsage(args, io, required(operand, spec.usage));
      case "keys create":
        return await createKey(args, io, required(operand, spec.usage));
      default:
        return await revokeKey(args, io, required(operand, spec.usage));
    }
  } catch (error) {
    if (error instanceof UsageError) {
      io.stderr(`mosaic-telemetry: ${error.message}\nRun mosaic-telemetry --help for the commands.\n`);
      return 2;
    }
    if (error instanceof AdminApiError || error instanceof ConfigError) {
      io.stderr(`mosaic-telemetry: ${error.message}\n`);
      return 1;
    }
    io.stderr(`mosaic-telemetry: ${(error as Error).message}\n`);
    return 1;
  }
}

function required(value: string | undefined, usage: string): string {
  if (value === undefined || value === "") throw new UsageError(`usage: mosaic-telemetry ${usage}`);
  return value;
}

async function runMigrate(io: CliIo): Promise<number> {
  const config = loadConfig(io.env, { cwd: io.cwd });
  const result = await migrate(config.storage, { connectTimeoutMs: config.database.connectTimeoutMs });
  io.stdout(
    result.applied.length === 0
      ? `schema is current (version ${result.version})\n`
      : `applied migrations ${result.applied.join(", ")}; schema version ${result.version}\n`,
  );
  return 0;
}

/** The admin client of --server / MOSAIC_SERVER_URL with the configured or stored token. */
function adminClient(args: ParsedArgs, io: CliIo): AdminClient {
  const flag = args.flags.get("server");
  const server = (typeof flag === "string" ? flag : undefined) ?? io.env["MOSAIC_SERVER_URL"] ?? DEFAULT_SERVER_URL;
  try {
    new URL(server);
  } catch {
    throw new UsageError(`--server is not a URL: ${server}`);
  }
  return new AdminClient(server, adminToken(io), io.fetch ?? fetch);
}

function adminToken(io: CliIo): string {
  const fromEnv = io.env["TELEMETRY_ADMIN_TOKEN"]?.trim();
  if (fromEnv) return fromEnv;
  const dataDir = resolve(io.cwd, io.env["DATA_DIR"]?.trim() || "data");
  const file = adminTokenPath(dataDir);
  const token = readTokenFile(file);
  if (token === null) {
    throw new ConfigError("TELEMETRY_ADMIN_TOKEN", `unset, and no token file at ${join(dataDir, "admin-token")}`);
  }
  return token;
}

async function createInstance(args: ParsedArgs, io: CliIo): Promise<number> {
  const name = args.flags.get("name");
  if (typeof name !== "string" || name.trim() === "") throw new UsageError("usage: mosaic-telemetry instances create --name <name>");
  const client = adminClient(args, io);
  if (!args.flags.has("force")) {
    // Names need not be unique on the server, but a second "my-team" is nearly always a mistake
    // (a command run twice), and its first key would be a second credential for the same team.
    const { instances } = await client.call<InstanceListResponse>("GET", "/v1/admin/instances");
    const taken = instances.find((instance) => instance.name === name.trim());
    if (taken !== undefined) {
      io.stderr(`mosaic-telemetry: an instance named "${taken.name}" exists (${taken.id}); add --force to create another\n`);
      return 1;
    }
  }
  const created = await client.call<CreateInstanceResponse>("POST", "/v1/admin/instances", { name });
  if (args.flags.has("json")) {
    io.stdout(`${JSON.stringify(created, null, 2)}\n`);
    return 0;
  }
  io.stdout(`instance  ${created.instance.id}  ${created.instance.name}\n`);
  io.stdout(issuedKeyText(created.api_key));
  return 0;
}

async function listInstances(args: ParsedArgs, io: CliIo): Promise<number> {
  const list = await adminClient(args, io).call<InstanceListResponse>("GET", "/v1/admin/instances");
  if (args.flags.has("json")) {
    io.stdout(`${JSON.stringify(list, null, 2)}\n`);
    return 0;
  }
  if (list.instances.length === 0) io.stdout("no instances\n");
  for (const instance of list.instances) {
    io.stdout(`instance  ${instance.id}  ${instance.name}  (created ${instance.created_at})\n`);
    for (const key of instance.keys) io.stdout(`  key  ${keyLine(key)}\n`);
  }
  return 0;
}

async function instanceUsage(args: ParsedArgs, io: CliIo, instanceId: string): Promise<number> {
  const usage = await adminClient(args, io).call<InstanceUsageResponse>(
    "GET",
    `/v1/admin/instances/${encodeURIComponent(instanceId)}/usage`,
  );
  if (args.flags.has("json")) io.stdout(`${JSON.stringify(usage, null, 2)}\n`);
  else io.stdout(`instance  ${usage.instance_id}  events ${usage.events}  first ${usage.first_event_at ?? "-"}  last ${usage.last_event_at ?? "-"}\n`);
  return 0;
}

async function createKey(args: ParsedArgs, io: CliIo, instanceId: string): Promise<number> {
  const created = await adminClient(args, io).call<CreateApiKeyResponse>(
    "POST",
    `/v1/admin/instances/${encodeURIComponent(instanceId)}/keys`,
  );
  if (args.flags.has("json")) io.stdout(`${JSON.stringify(created, null, 2)}\n`);
  else io.stdout(issuedKeyText(created.api_key));
  return 0;
}

async function revokeKey(args: ParsedArgs, io: CliIo, keyId: string): Promise<number> {
  const revoked = await adminClient(args, io).call<RevokeApiKeyResponse>("DELETE", `/v1/admin/keys/${encodeURIComponent(keyId)}`);
  if (args.flags.has("json")) io.stdout(`${JSON.stringify(revoked, null, 2)}\n`);
  else io.stdout(`revoked  ${keyLine(revoked.api_key)}\n`);
  return 0;
}

function issuedKeyText(key: IssuedApiKey): string {
  return (
    `api key   ${key.key}\nkey id    ${key.id}\n` +
    `The key is shown this once: store it now, e.g. TELEMETRY_API_KEY=<key> TELEMETRY_INSTANCE_ID=${key.instance_id}\n`
  );
}

function keyLine(key: ApiKeySummary): string {
  const state = key.revoked_at !== null ? `revoked ${key.revoked_at}` : "active";
  return `${key.id}  ${key.display}  ${state}`;
}
