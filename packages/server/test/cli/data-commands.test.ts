import { randomUUID } from "node:crypto";
import { existsSync, statSync } from "node:fs";
import { dirname, join } from "node:path";
import Database from "better-sqlite3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCli, type CliIo } from "../../src/cli/cli.js";
import type { Storage } from "../../src/storage/storage.js";
import { POSTGRES, engineTitle, freshDatabase, type EngineDatabase } from "../helpers/engines.js";
import { makeEvent } from "../storage/storage-fixtures.js";
import { toStore } from "../helpers/events-to-store.js";

if (POSTGRES.skip) console.warn(`data-commands.test.ts: ${POSTGRES.skip}, export on PostgreSQL is skipped`);

async function cli(argv: string[], env: Record<string, string>, cwd: string): Promise<{ code: number; out: string; err: string; writes: number }> {
  let out = "";
  let err = "";
  let writes = 0;
  const io: CliIo = {
    env,
    cwd,
    stdout: (text) => (out += text),
    stderr: (text) => (err += text),
    write: async (text) => {
      writes++;
      out += text;
    },
  };
  const code = await runCli(argv, io);
  return { code, out, err, writes };
}

/** Stores `count` events of `instanceId` received at `at`; returns their ids. */
async function ingest(storage: Storage, instanceId: string, count: number, at: Date): Promise<string[]> {
  const events = Array.from({ length: count }, () => makeEvent(instanceId));
  const statuses = await storage.ingestEvents(instanceId, toStore(events), at);
  expect(statuses.every((status) => status === "accepted")).toBe(true);
  return events.map((event) => event.event_id);
}

/** The export cases, for SQLite and PostgreSQL alike. */
function exportCases(target: () => { env: Record<string, string>; storage: Storage; cwd: string }): void {
  const instanceId = randomUUID();
  const other = randomUUID();
  let early: string[];
  let late: string[];
  beforeAll(async () => {
    const { storage } = target();
    early = await ingest(storage, instanceId, 1500, new Date("2026-10-01T00:00:00Z"));
    late = await ingest(storage, instanceId, 30, new Date("2026-11-15T00:00:00Z"));
    await ingest(storage, other, 5, new Date("2026-11-15T00:00:00Z"));
  });

  it("prints every event of the instance, one JSON text a line, in chunks, and the count on stderr", async () => {
    const { env, cwd } = target();
    const { code, out, err, writes } = await cli(["export", instanceId], env, cwd);
    expect(err).toBe(`exported 1530 events of ${instanceId}\n`);
    expect(code).toBe(0);
    const lines = out.trimEnd().split("\n").map((line) => JSON.parse(line) as { event_id: string; instance_id: string });
    expect(lines.map((event) => event.event_id).sort()).toEqual([...early, ...late].sort());
    expect(new Set(lines.map((event) => event.instance_id))).toEqual(new Set([instanceId]));
    // Streamed: handed on in several writes, not one string of the whole instance.
    expect(writes).toBeGreaterThan(1);
  });

  it("--since keeps the events received from that date on", async () => {
    const { env, cwd } = target();
    const { code, out } = await cli(["export", instanceId.toUpperCase(), "--since", "2026-11-01"], env, cwd);
    expect(code).toBe(0);
    expect(out.trimEnd().split("\n").map((line) => JSON.parse(line).event_id).sort()).toEqual([...late].sort());
  });

  it("refuses a --since that is no date, and prints nothing for an unknown instance", async () => {
    const { env, cwd } = target();
    const bad = await cli(["export", instanceId, "--since", "yesterday"], env, cwd);
    expect(bad.code).toBe(2);
    expect(bad.err).toContain("--since must be an ISO 8601 date");
    const none = await cli(["export", randomUUID()], env, cwd);
    expect(none.code).toBe(0);
    expect(none.out).toBe("");
  });
}

/** The directory holding a fresh SQLite database: its file is telemetry.db there, the server's default for DATA_DIR. */
function dataDir(database: EngineDatabase): string {
  if (database.target.engine !== "sqlite") throw new Error("dataDir is for SQLite");
  return dirname(database.target.path);
}

describe("mosaic-telemetry export on SQLite", () => {
  let database: EngineDatabase;
  let storage: Storage;
  beforeAll(async () => {
    database = await freshDatabase("sqlite", "export");
    storage = await database.open();
  });
  afterAll(async () => {
    await storage?.close();
    await database?.drop();
  });
  // The server's own default: DATA_DIR's telemetry.db.
  exportCases(() => ({ env: { DATA_DIR: dataDir(database) }, storage, cwd: dataDir(database) }));
});

describe.skipIf(POSTGRES.skip !== null)(engineTitle(POSTGRES, "mosaic-telemetry export on PostgreSQL"), () => {
  let database: EngineDatabase;
  let storage: Storage;
  let url: string;
  beforeAll(async () => {
    database = await freshDatabase("postgres", "export");
    if (database.target.engine === "postgres") url = database.target.url;
    storage = await database.open();
  });
  afterAll(async () => {
    await storage?.close();
    await database?.drop();
  });
  exportCases(() => ({ env: { DATABASE_URL: url }, storage, cwd: "/tmp" }));

  it("backup refuses PostgreSQL, pointing at pg_dump", async () => {
    const { code, err } = await cli(["backup", "/tmp/never.db"], { DATABASE_URL: url }, "/tmp");
    expect(code).toBe(1);
    expect(err).toContain("pg_dump");
  });
});

describe("mosaic-telemetry backup (SQLite)", () => {
  let database: EngineDatabase;
  let dir: string;
  beforeAll(async () => {
    database = await freshDatabase("sqlite", "backup");
    dir = dataDir(database);
  });
  afterAll(() => database?.drop());

  it("copies a database into a new owner-only file and refuses to overwrite one", async () => {
    const storage = await database.open();
    const instanceId = randomUUID();
    await ingest(storage, instanceId, 10, new Date());
    await storage.close();
    const first = await cli(["backup", "copy.db"], { DATA_DIR: dir }, dir);
    expect(first.err).toContain("backed up");
    expect(first.code).toBe(0);
    expect(statSync(join(dir, "copy.db")).mode & 0o777).toBe(0o600);
    const copy = new Database(join(dir, "copy.db"), { readonly: true });
    expect(copy.prepare("SELECT COUNT(*) AS n FROM events").get()).toEqual({ n: 10 });
    copy.close();
    const again = await cli(["backup", "copy.db"], { DATA_DIR: dir }, dir);
    expect(again.code).toBe(1);
    expect(again.err).toContain("exists");
  });

  it("never creates a database where there is none", async () => {
    const empty = join(dir, "empty");
    const { code } = await cli(["backup", join(dir, "x.db")], { DATA_DIR: empty }, dir);
    expect(code).toBe(1);
    expect(existsSync(join(empty, "telemetry.db"))).toBe(false);
  });
});
