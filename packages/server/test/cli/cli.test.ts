import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { isWellFormedApiKey } from "@mosaicstack/telemetry-protocol";
import { runCli, type CliIo } from "../../src/cli/cli.js";
import { ADMIN_TOKEN, makeEvent, postJson, startTestServer, type TestServer } from "../http/test-server.js";

/** Runs the CLI in-process and collects what it prints. */
async function cli(argv: string[], env: Record<string, string>, cwd = "/nonexistent"): Promise<{ code: number; out: string; err: string }> {
  let out = "";
  let err = "";
  const io: CliIo = { env, cwd, stdout: (text) => (out += text), stderr: (text) => (err += text) };
  const code = await runCli(argv, io);
  return { code, out, err };
}

// On a socket: the CLI is an HTTP client of a running server (its admin commands fetch the server URL).
describe("mosaic-telemetry admin commands against a running server", () => {
  let server: TestServer;
  let env: Record<string, string>;
  beforeAll(async () => {
    server = await startTestServer();
    env = { MOSAIC_SERVER_URL: server.url, TELEMETRY_ADMIN_TOKEN: ADMIN_TOKEN };
  });
  afterAll(async () => server.close());

  it("instances create prints the instance and its key in full, once", async () => {
    const { code, out, err } = await cli(["instances", "create", "--name", "team-a"], env);
    expect(err).toBe("");
    expect(code).toBe(0);
    const key = /api key\s+(\S+)/.exec(out)?.[1];
    const instanceId = /instance\s+(\S+)\s+team-a/.exec(out)?.[1];
    expect(isWellFormedApiKey(key)).toBe(true);
    // The printed key works.
    const ingest = await postJson(`${server.url}/v1/events/batch`, key as string, { events: [makeEvent(instanceId as string)] });
    expect(ingest.status).toBe(200);
  });

  it("instances list shows keys by display form, never in full", async () => {
    const created = await cli(["instances", "create", "--name=team-b", "--json"], env);
    const body = JSON.parse(created.out);
    const { code, out } = await cli(["instances", "list"], env);
    expect(code).toBe(0);
    expect(out).toContain("team-b");
    expect(out).toContain(body.api_key.display);
    expect(out).toContain(body.api_key.id);
    expect(out).not.toContain(body.api_key.key);
  });

  it("keys create issues a key; keys revoke revokes it at once", async () => {
    const created = await cli(["keys", "create", server.instanceId, "--json"], env);
    expect(created.code).toBe(0);
    const { api_key } = JSON.parse(created.out);
    expect(isWellFormedApiKey(api_key.key)).toBe(true);
    expect((await postJson(`${server.url}/v1/events/batch`, api_key.key, { events: [makeEvent(server.instanceId)] })).status).toBe(200);

    const revoked = await cli(["keys", "revoke", api_key.id], env);
    expect(revoked.code).toBe(0);
    expect(revoked.out).toContain(`revoked  ${api_key.id}`);
    expect(revoked.out).not.toContain(api_key.key);
    expect((await postJson(`${server.url}/v1/events/batch`, api_key.key, { events: [makeEvent(server.instanceId)] })).status).toBe(401);
  });

  it("instances usage prints the event count", async () => {
    const { code, out } = await cli(["instances", "usage", server.instanceId, "--json"], env);
    expect(code).toBe(0);
    expect(JSON.parse(out)).toMatchObject({ instance_id: server.instanceId });
  });

  it("reads the admin token from the data folder's admin-token file when the variable is unset", async () => {
    const dir = mkdtempSync(join(tmpdir(), "mosaic-cli-"));
    try {
      writeFileSync(join(dir, "admin-token"), `${ADMIN_TOKEN}\n`, { mode: 0o600 });
      const { code } = await cli(["instances", "list", "--server", server.url], { DATA_DIR: dir });
      expect(code).toBe(0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("reports the server's error code for a wrong token and an unknown key, exit 1, without the token", async () => {
    const wrong = await cli(["instances", "list"], { ...env, TELEMETRY_ADMIN_TOKEN: "wrong-token-0123456789" });
    expect(wrong.code).toBe(1);
    expect(wrong.err).toContain("unauthorized");
    expect(wrong.err).not.toContain("wrong-token-0123456789");
    const unknown = await cli(["keys", "revoke", "00000000-0000-4000-8000-000000000000"], env);
    expect(unknown.code).toBe(1);
    expect(unknown.err).toContain("not_found");
  });

  it("reports an unreachable server in one line, exit 1", async () => {
    const { code, err } = await cli(["instances", "list", "--server", "http://127.0.0.1:9"], env);
    expect(code).toBe(1);
    expect(err).toContain("cannot reach http://127.0.0.1:9");
  });
});

describe("mosaic-telemetry usage", () => {
  it("--help prints the commands, exit 0", async () => {
    const { code, out } = await cli(["--help"], {});
    expect(code).toBe(0);
    for (const command of ["serve", "migrate", "instances create", "instances list", "keys create", "keys revoke"]) {
      expect(out).toContain(command);
    }
  });

  it.each([
    [["frobnicate"], "unknown command"],
    [["instances", "create"], "--name"],
    [["keys", "revoke"], "keys revoke <key-id>"],
    [["instances", "create", "--name"], "--name needs a value"],
  ])("%j is a usage error, exit 2", async (argv, message) => {
    const { code, err } = await cli(argv, { TELEMETRY_ADMIN_TOKEN: ADMIN_TOKEN });
    expect(code).toBe(2);
    expect(err).toContain(message);
  });

  it("an admin command without any token says where it looked, exit 1", async () => {
    const dir = mkdtempSync(join(tmpdir(), "mosaic-cli-"));
    try {
      const { code, err } = await cli(["instances", "list"], {}, dir);
      expect(code).toBe(1);
      expect(err).toContain("TELEMETRY_ADMIN_TOKEN");
      expect(err).toContain(join(dir, "data", "admin-token"));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("migrate applies the migrations to a new SQLite file, then finds the schema current", async () => {
    const dir = mkdtempSync(join(tmpdir(), "mosaic-cli-"));
    try {
      const first = await cli(["migrate"], { DATABASE_URL: `sqlite:${join(dir, "t.db")}` }, dir);
      expect(first.err).toBe("");
      expect(first.code).toBe(0);
      expect(first.out).toContain("applied migrations");
      const second = await cli(["migrate"], { DATA_DIR: dir, DATABASE_URL: "sqlite:t.db" }, dir);
      expect(second.out).toContain("schema is current");
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("migrate with a wrong DATABASE_URL names the variable, exit 1", async () => {
    const { code, err } = await cli(["migrate"], { DATABASE_URL: "mysql://x" });
    expect(code).toBe(1);
    expect(err).toContain("DATABASE_URL");
  });
});
