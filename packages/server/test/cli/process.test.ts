import { execFileSync, execSync, spawn, type ChildProcess } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import { request as httpRequest } from "node:http";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { makeEvent } from "../http/test-server.js";

const serverDir = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
const repoRoot = resolve(serverDir, "../..");
const mainJs = join(serverDir, "dist/main.js");
const cliJs = join(serverDir, "dist/cli/main.js");

/** A spawned server and the URL it logged once listening. */
interface Spawned {
  child: ChildProcess;
  url: string;
  stdout: () => string;
  exit: Promise<number | null>;
}

function spawnServer(env: Record<string, string>): Promise<Spawned> {
  const child = spawn(process.execPath, [mainJs], {
    env: { PATH: process.env["PATH"] ?? "", HOST: "127.0.0.1", PORT: "0", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let out = "";
  let err = "";
  const exit = new Promise<number | null>((done) => child.on("exit", (code) => done(code)));
  return new Promise((done, fail) => {
    child.stdout?.on("data", (chunk: Buffer) => {
      out += chunk.toString("utf8");
      const match = /"url":"(http:\/\/[^"]+)"/.exec(out);
      if (match) done({ child, url: match[1] as string, stdout: () => out, exit });
    });
    child.stderr?.on("data", (chunk: Buffer) => (err += chunk.toString("utf8")));
    void exit.then((code) => fail(new Error(`server exited ${code} before listening: ${err}`)));
  });
}

function runCliJs(args: string[], env: Record<string, string>): { code: number; out: string } {
  try {
    const out = execFileSync(process.execPath, [cliJs, ...args], { env: { PATH: process.env["PATH"] ?? "", ...env }, encoding: "utf8" });
    return { code: 0, out };
  } catch (error) {
    const failed = error as { status: number; stdout: string; stderr: string };
    return { code: failed.status, out: `${failed.stdout}${failed.stderr}` };
  }
}

describe("the built server process", () => {
  const dataDir = mkdtempSync(join(tmpdir(), "mosaic-process-"));
  let server: Spawned | null = null;

  beforeAll(() => {
    // Tests of the built entry points need dist; build it when missing (npm test builds first anyway).
    if (!existsSync(mainJs) || !existsSync(cliJs)) {
      execSync("npm run build -w packages/protocol -w packages/server", { cwd: repoRoot, stdio: "ignore" });
    }
  }, 120_000);

  afterAll(() => {
    if (server && server.child.exitCode === null) server.child.kill("SIGKILL");
    rmSync(dataDir, { recursive: true, force: true });
  });

  it("starts, generates the admin token file (logging its path, never the token), and serves the CLI", async () => {
    server = await spawnServer({ DATA_DIR: dataDir });
    const health = await fetch(`${server.url}/healthz`);
    expect(health.status).toBe(200);

    const tokenFile = join(dataDir, "admin-token");
    expect(statSync(tokenFile).mode & 0o777).toBe(0o600);
    const token = readFileSync(tokenFile, "utf8").trim();
    expect(server.stdout()).toContain(tokenFile);
    expect(server.stdout()).not.toContain(token);

    // The bin reads the same token file through DATA_DIR.
    const created = runCliJs(["instances", "create", "--name", "spawned", "--server", server.url], { DATA_DIR: dataDir });
    expect(created.code).toBe(0);
    expect(created.out).toMatch(/api key\s+msk_/);
    const listed = runCliJs(["instances", "list", "--server", server.url], { DATA_DIR: dataDir });
    expect(listed.code).toBe(0);
    expect(listed.out).toContain("spawned");
  });

  it("on SIGTERM finishes the request in flight, then exits 0", async () => {
    const running = server as Spawned;
    const created = runCliJs(["instances", "create", "--name", "inflight", "--server", running.url, "--json"], { DATA_DIR: dataDir });
    const { instance, api_key } = JSON.parse(created.out);
    const body = JSON.stringify({ events: [makeEvent(instance.id)] });
    const target = new URL(`${running.url}/v1/events/batch`);

    const answer = new Promise<number>((done, fail) => {
      const req = httpRequest(
        {
          host: target.hostname,
          port: target.port,
          path: target.pathname,
          method: "POST",
          headers: { "content-type": "application/json", "content-length": Buffer.byteLength(body), authorization: `Bearer ${api_key.key}` },
        },
        (res) => {
          res.resume();
          done(res.statusCode ?? 0);
        },
      );
      req.on("error", fail);
      // Half the body now, the signal, then the rest: the request is in flight during shutdown.
      req.write(body.slice(0, 100));
      setTimeout(() => {
        running.child.kill("SIGTERM");
        setTimeout(() => req.end(body.slice(100)), 200);
      }, 100);
    });
    expect(await answer).toBe(200);
    // The answered connection is closed by the server, so no idle keep-alive socket holds the exit.
    const answeredAt = performance.now();
    expect(await running.exit).toBe(0);
    expect(performance.now() - answeredAt).toBeLessThan(2000);
    expect(running.stdout()).toContain("shutting down");
  });

  it("with HOST=localhost (the default) logs the URL by that name, which serves", async () => {
    const localDir = mkdtempSync(join(tmpdir(), "mosaic-process-localhost-"));
    const local = await spawnServer({ HOST: "localhost", DATA_DIR: localDir });
    try {
      expect(local.url).toMatch(/^http:\/\/localhost:\d+$/);
      expect(local.stdout()).toContain(`listening on ${local.url}`);
      expect((await fetch(`${local.url}/healthz`)).status).toBe(200);
    } finally {
      local.child.kill("SIGTERM");
      await local.exit;
      rmSync(localDir, { recursive: true, force: true });
    }
  });

  it("stops with exit 1 and one line naming the variable on a wrong setting", () => {
    const result = runCliJsMain({ PORT: "eighty", DATA_DIR: dataDir });
    expect(result.code).toBe(1);
    expect(result.out).toContain("PORT");
    expect(result.out).not.toMatch(/\n\s+at /);
  });

  it.each([
    ["too short", "aaaaaaaaaaaaaaaa", "at least 32 characters"],
    ["holding spaces", "an admin token with spaces in it, long enough", "RFC 6750"],
  ])("refuses at start an admin token %s, exit 1, without echoing it", (_what, token, reason) => {
    const result = runCliJsMain({ TELEMETRY_ADMIN_TOKEN: token, DATA_DIR: dataDir });
    expect(result.code).toBe(1);
    expect(result.out).toContain("mosaic-telemetry: configuration error: TELEMETRY_ADMIN_TOKEN:");
    expect(result.out).toContain(reason);
    expect(result.out).not.toContain(token);
  });
});

function runCliJsMain(env: Record<string, string>): { code: number; out: string } {
  try {
    const out = execFileSync(process.execPath, [mainJs], { env: { PATH: process.env["PATH"] ?? "", ...env }, encoding: "utf8", stdio: "pipe" });
    return { code: 0, out };
  } catch (error) {
    const failed = error as { status: number; stdout: string; stderr: string };
    return { code: failed.status, out: `${failed.stdout}${failed.stderr}` };
  }
}
