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
import type { CreateApiKeyResponse, RevokeApiKeyResponse } from "../routes/admin-routes.js";
import { migrate } from "../storage/open-storage.js";
import { AdminApiError, AdminClient, type FetchLike } from "./admin-client.js";
import { UsageError, parseArgs, type ParsedArgs } from "./cli-args.js";

export const DEFAULT_SERVER_URL = "http://localhost:8000";

export const HELP = `Usage: mosaic-telemetry <command> [options]

Server:
  serve                          start the API v1 server (configured by environment, see docs/configuration.md)
  migrate                        apply pending storage migrations to DATABASE_URL and exit

Administration (calls the admin API of a running server):
  instances create --name <n>    create an instance; prints its first API key (shown once)
  instances list                 list instances and their keys (display form only)
  instances usage <instance-id>  event counts of an instance
  keys create <instance-id>      issue an additional API key (shown once)
  keys revoke <key-id>           revoke an API key at once

Options:
  --server <url>   server of the admin commands (env MOSAIC_SERVER_URL, default ${DEFAULT_SERVER_URL})
  --json           print the server's JSON answer
  -h, --help       this help

The admin token comes from TELEMETRY_ADMIN_TOKEN, else from <DATA_DIR or ./data>/admin-token.
`;

export interface CliIo {
  env: Env;
  cwd: string;
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  fetch?: FetchLike;
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
  const [command, sub, operand] = args.positionals;
  if (args.flags.has("help") || command === undefined || command === "help") {
    io.stdout(HELP);
    return command === undefined && !args.flags.has("help") ? 2 : 0;
  }
  try {
    switch (command) {
      case "serve":
        if (io.serve === undefined) throw new UsageError("serve is not available here");
        await io.serve();
        return 0;
      case "migrate":
        return await runMigrate(io);
      case "instances":
        if (sub === "create") return await createInstance(args, io);
        if (sub === "list") return await listInstances(args, io);
        if (sub === "usage") return await instanceUsage(args, io, required(operand, "instances usage <instance-id>"));
        throw new UsageError(`unknown command: instances ${sub ?? ""}`.trim());
      case "keys":
        if (sub === "create") return await createKey(args, io, required(operand, "keys create <instance-id>"));
        if (sub === "revoke") return await revokeKey(args, io, required(operand, "keys revoke <key-id>"));
        throw new UsageError(`unknown command: keys ${sub ?? ""}`.trim());
      default:
        throw new UsageError(`unknown command: ${command}`);
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
  const created = await adminClient(args, io).call<CreateInstanceResponse>("POST", "/v1/admin/instances", { name });
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
