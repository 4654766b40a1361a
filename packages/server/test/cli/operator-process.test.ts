import { execFile, execSync, spawn, type ChildProcess } from "node:child_process";
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, utimesSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import Database from "better-sqlite3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { makeEvent } from "../http/test-server.js";

const serverDir = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
const repoRoot = resolve(serverDir, "../..");
const mainJs = join(serverDir, "dist/main.js");
const cliJs = join(serverDir, "dist/cli/main.js");
const run = promisify(execFile);

/** A spawned process and what it printed, until a line matches. */
interface Running {
  child: ChildProcess;
  out: () => string;
  err: () => string;
  exit: Promise<number | null>;
}

function spawnUntil(command: string, args: string[], env: Record<string, string>, ready: RegExp, options: { detached?: boolean } = {}): Promise<Running & { match: RegExpExecArray }> {
  const child = spawn(command, args, { cwd: repoRoot, env: { PATH: process.env["PATH"] ?? "", HOME: process.env["HOME"] ?? "/tmp", ...env }, stdio: ["ignore", "pipe", "pipe"], ...options });
  let out = "";
  let err = "";
  const exit = new Promise<number | null>((done) => child.on("exit", (code) => done(code)));
  return new Promise((done, fail) => {
    child.stdout?.on("data", (chunk: Buffer) => {
      out += chunk.toString("utf8");
      const match = ready.exec(out);
      if (match) done({ child, out: () => out, err: () => err, exit, match });
    });
    child.stderr?.on("data", (chunk: Buffer) => (err += chunk.toString("utf8")));
    void exit.then((code) => fail(new Error(`${command} exited ${code} before ${ready}: ${out}${err}`)));
  });
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe("npm start", () => {
  const dataDir = mkdtempSync(join(tmpdir(), "mosaic-npm-start-"));
  beforeAll(() => {
    // Tests of the built entry points need dist; build it when missing (npm test builds first anyway).
    if (!existsSync(mainJs) || !existsSync(cliJs)) execSync("npm run build -w packages/protocol -w packages/server", { cwd: repoRoot, stdio: "ignore" });
  }, 120_000);
  afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

  it("one listening line with the URL, and npm's SIGTERM reaches the server", async () => {
    const npm = await spawnUntil("npm", ["start"], { HOST: "127.0.0.1", PORT: "0", DATA_DIR: dataDir }, /"url":"(http:\/\/[^"]+)".*\n/);
    const url = npm.match[1] as string;
    expect(npm.out().split("\n").filter((line) => /listening/i.test(line))).toEqual([expect.stringContaining(`listening on ${url}`)]);
    const serverPid = Number(/"pid":(\d+)/.exec(npm.out())?.[1]);
    expect((await fetch(`${url}/healthz`)).status).toBe(200);

    npm.child.kill("SIGTERM");
    await npm.exit;
    // The server drained and exited: nothing is left listening, no orphan process.
    await expect.poll(() => alive(serverPid), { timeout: 5000 }).toBe(false);
    await expect(fetch(`${url}/healthz`)).rejects.toThrow();
    expect(npm.out()).toContain("stopped");
  });
});

/** A tree shaped like this repository's, whose builds only write a stub dist/main.js and say so. */
function fakeRepo(): string {
  const root = mkdtempSync(join(tmpdir(), "mosaic-fake-repo-"));
  writeFileSync(join(root, "package.json"), JSON.stringify({ name: "fake", private: true, workspaces: ["packages/protocol", "packages/dashboard", "packages/server"] }));
  for (const name of ["protocol", "dashboard", "server"]) {
    const dir = join(root, "packages", name);
    mkdirSync(join(dir, "src"), { recursive: true });
    mkdirSync(join(dir, "scripts"), { recursive: true });
    writeFileSync(join(dir, "src/index.ts"), "export {};\n");
    const output = name === "server" ? "main.js" : name === "dashboard" ? "index.html" : "index.js";
    const build = `node -e "require('fs').mkdirSync('dist',{recursive:true});require('fs').writeFileSync('dist/${output}','console.log(\\'${name} ran\\')');console.error('BUILT ${name}')"`;
    writeFileSync(join(dir, "package.json"), JSON.stringify({ name: `fake-${name}`, private: true, scripts: { build } }));
  }
  copyFileSync(join(serverDir, "scripts/start.mjs"), join(root, "packages/server/scripts/start.mjs"));
  return root;
}

describe("npm start's build step (scripts/start.mjs, on a stub repository)", () => {
  const root = fakeRepo();
  afterAll(() => rmSync(root, { recursive: true, force: true }));
  const start = () => run(process.execPath, [join(root, "packages/server/scripts/start.mjs")], { cwd: root, env: { PATH: process.env["PATH"] ?? "", HOME: process.env["HOME"] ?? "/tmp" } });
  const later = (path: string) => {
    const at = new Date(Date.now() + 2000);
    utimesSync(path, at, at);
  };

  it("builds what is missing, then nothing while the builds are newer than their sources", async () => {
    const first = await start();
    expect(first.stderr).toContain("BUILT protocol");
    expect(first.stderr).toContain("BUILT dashboard");
    expect(first.stderr).toContain("BUILT server");
    expect(first.stdout).toContain("server ran");
    const second = await start();
    expect(second.stderr).not.toContain("BUILT");
    expect(second.stdout).toContain("server ran");
  }, 60_000);

  it("rebuilds the server alone when a server source is newer; both when a protocol source is", async () => {
    later(join(root, "packages/server/src/index.ts"));
    const serverOnly = await start();
    expect(serverOnly.stderr).toContain("BUILT server");
    expect(serverOnly.stderr).not.toContain("BUILT protocol");
    await new Promise((done) => setTimeout(done, 2100));
    later(join(root, "packages/protocol/src/index.ts"));
    const both = await start();
    expect(both.stderr).toContain("BUILT protocol");
    expect(both.stderr).toContain("BUILT server");
  }, 60_000);

  it("rebuilds the dashboard alone when one of its sources is newer", async () => {
    // Past the sources the test above dated ahead, one start to settle every build first.
    await new Promise((done) => setTimeout(done, 2100));
    await start();
    later(join(root, "packages/dashboard/src/index.ts"));
    const dashboardOnly = await start();
    expect(dashboardOnly.stderr).toContain("BUILT dashboard");
    expect(dashboardOnly.stderr).not.toContain("BUILT server");
    expect(dashboardOnly.stderr).not.toContain("BUILT protocol");
  }, 60_000);
});

describe("logs on a terminal", () => {
  it("are pino-pretty lines, not JSON, when stdout is a TTY", async () => {
    const dataDir = mkdtempSync(join(tmpdir(), "mosaic-tty-"));
    try {
      // script(1) gives the server a pseudo-terminal as stdout.
      const tty = await spawnUntil(
        "script",
        ["-qfec", `${process.execPath} ${mainJs}`, "/dev/null"],
        { HOST: "127.0.0.1", PORT: "0", DATA_DIR: dataDir, TERM: "dumb" },
        /listening on/,
        { detached: true },
      );
      process.kill(-(tty.child.pid as number), "SIGTERM");
      await tty.exit;
      expect(tty.out()).toMatch(/INFO.*Mosaic Telemetry API v1 listening on http:\/\/127\.0\.0\.1:\d+/);
      expect(tty.out()).not.toContain('{"level"');
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});

describe("mosaic-telemetry backup while a server process ingests", () => {
  const dataDir = mkdtempSync(join(tmpdir(), "mosaic-backup-live-"));
  let server: Running & { match: RegExpExecArray };
  beforeAll(async () => {
    server = await spawnUntil(process.execPath, [mainJs], { HOST: "127.0.0.1", PORT: "0", DATA_DIR: dataDir }, /"url":"(http:\/\/[^"]+)"/);
  });
  afterAll(async () => {
    server.child.kill("SIGTERM");
    await server.exit;
    rmSync(dataDir, { recursive: true, force: true });
  });

  it("copies one consistent state: every stored event counted in the usage table, the file intact", async () => {
    const url = server.match[1] as string;
    const token = readFileSync(join(dataDir, "admin-token"), "utf8").trim();
    const created = await fetch(`${url}/v1/admin/instances`, {
      method: "POST",
      headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
      body: JSON.stringify({ name: "busy" }),
    }).then((answer) => answer.json() as Promise<{ instance: { id: string }; api_key: { key: string } }>);

    let acked = 0;
    let stop = false;
    const sender = async (): Promise<void> => {
      while (!stop) {
        const events = Array.from({ length: 50 }, () => makeEvent(created.instance.id));
        const answer = await fetch(`${url}/v1/events/batch`, {
          method: "POST",
          headers: { authorization: `Bearer ${created.api_key.key}`, "content-type": "application/json" },
          body: JSON.stringify({ events }),
        });
        expect(answer.status).toBe(200);
        acked += ((await answer.json()) as { accepted: number }).accepted;
      }
    };
    const senders = [sender(), sender(), sender()];
    await expect.poll(() => acked, { timeout: 10_000 }).toBeGreaterThan(2000);

    const before = acked;
    const backup = join(dataDir, "backup.db");
    const { stderr } = await run(process.execPath, [cliJs, "backup", backup], { env: { PATH: process.env["PATH"] ?? "", DATA_DIR: dataDir } });
    const after = acked;
    stop = true;
    await Promise.all(senders);
    expect(stderr).toContain("backed up");
    expect(after).toBeGreaterThan(before); // ingest went on during the backup

    const copy = new Database(backup, { readonly: true });
    try {
      expect(copy.pragma("integrity_check", { simple: true })).toBe("ok");
      const stored = (copy.prepare("SELECT COUNT(*) AS n FROM events").get() as { n: number }).n;
      const counted = (copy.prepare("SELECT events FROM instance_usage WHERE instance_id = ?").get(created.instance.id) as { events: number }).events;
      // Events and the aggregates derived from them in the same transactions: one snapshot.
      expect(counted).toBe(stored);
      expect(stored).toBeGreaterThanOrEqual(before);
      expect(stored).toBeLessThanOrEqual(after + 150);
    } finally {
      copy.close();
    }
  }, 60_000);
});
