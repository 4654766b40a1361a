import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCli, type CliIo } from "../../src/cli/cli.js";
import { COMMANDS } from "../../src/cli/cli-help.js";
import { ADMIN_TOKEN, startTestServer, type TestServer } from "../http/test-server.js";

async function cli(argv: string[], env: Record<string, string> = {}): Promise<{ code: number; out: string; err: string }> {
  let out = "";
  let err = "";
  const io: CliIo = { env, cwd: "/nonexistent", stdout: (text) => (out += text), stderr: (text) => (err += text) };
  const code = await runCli(argv, io);
  return { code, out, err };
}

describe("mosaic-telemetry help and options", () => {
  it.each(Object.keys(COMMANDS))("%s --help prints that command's usage and exits 0", async (words) => {
    const { code, out, err } = await cli([...words.split(" "), "--help"]);
    expect(err).toBe("");
    expect(code).toBe(0);
    expect(out).toContain(`Usage: mosaic-telemetry ${COMMANDS[words]?.usage}`);
    // Its own help, not the list of every command.
    expect(out).not.toContain("Administration (calls the admin API");
  });

  it.each(["instances", "keys"])("%s alone prints that group's commands (usage error, exit 2); with --help exit 0", async (group) => {
    const alone = await cli([group]);
    expect(alone.code).toBe(2);
    expect(alone.err).toContain(`Usage: mosaic-telemetry ${group} <command>`);
    expect(alone.err).toContain(`mosaic-telemetry ${group} create`);
    expect(alone.err).not.toContain("migrate");
    const help = await cli([group, "-h"]);
    expect(help.code).toBe(0);
    expect(help.out).toBe(alone.err);
  });

  it("refuses unknown options with one line naming them, before doing anything", async () => {
    const one = await cli(["instances", "list", "--sevrer", "http://x"]);
    expect(one.code).toBe(2);
    expect(one.err.split("\n")[0]).toBe("mosaic-telemetry: unknown option: --sevrer");
    const two = await cli(["migrate", "--dry-run", "--verbose=1"]);
    expect(two.code).toBe(2);
    expect(two.err.split("\n")[0]).toBe("mosaic-telemetry: unknown options: --dry-run, --verbose");
    // --since belongs to export only.
    expect((await cli(["backup", "x.db", "--since", "2026-01-01"])).err).toContain("unknown option: --since");
  });

  it("refuses words beyond the command's operands, naming them, before doing anything", async () => {
    const revoke = await cli(["keys", "revoke", "key-a", "key-b"]);
    expect(revoke.code).toBe(2);
    expect(revoke.err.split("\n")[0]).toBe("mosaic-telemetry: unexpected argument: key-b");
    const list = await cli(["instances", "list", "all", "now"]);
    expect(list.code).toBe(2);
    expect(list.err.split("\n")[0]).toBe("mosaic-telemetry: unexpected arguments: all now");
    // A flag's value is not an operand: create takes none, export one.
    expect((await cli(["instances", "create", "--name", "x", "y"])).err).toContain("unexpected argument: y");
    expect((await cli(["export", "id-1", "id-2", "--since", "2026-01-01"])).err).toContain("unexpected argument: id-2");
  });

  it("refuses an unknown command of a group", async () => {
    const { code, err } = await cli(["instances", "delete"]);
    expect(code).toBe(2);
    expect(err).toContain("unknown command: instances delete");
  });
});

// On a socket: the CLI is an HTTP client of a running server (it asks the server for the names taken).
describe("instances create with a name already taken", () => {
  let server: TestServer;
  let env: Record<string, string>;
  beforeAll(async () => {
    server = await startTestServer();
    env = { MOSAIC_SERVER_URL: server.url, TELEMETRY_ADMIN_TOKEN: ADMIN_TOKEN };
  });
  afterAll(async () => server.close());

  it("is refused without --force, naming the existing instance; created with it", async () => {
    expect((await cli(["instances", "create", "--name", "team-x"], env)).code).toBe(0);
    const again = await cli(["instances", "create", "--name", "team-x"], env);
    expect(again.code).toBe(1);
    expect(again.err).toMatch(/an instance named "team-x" exists \([0-9a-f-]{36}\); add --force to create another/);
    expect(again.out).toBe("");
    const forced = await cli(["instances", "create", "--name", "team-x", "--force", "--json"], env);
    expect(forced.code).toBe(0);
    const listed = JSON.parse((await cli(["instances", "list", "--json"], env)).out);
    expect(listed.instances.filter((instance: { name: string }) => instance.name === "team-x")).toHaveLength(2);
  });
});
