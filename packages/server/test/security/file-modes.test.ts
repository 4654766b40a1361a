// On a socket: the server is started as an operator starts it (startServer: data folder, database file, a listening port).
import { chmodSync, mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Database from "better-sqlite3";
import { afterAll, describe, expect, it } from "vitest";
import { startServer } from "../../src/cli/serve.js";
import { createPredictor } from "../../src/predictions/predictor.js";
import { migrate } from "../../src/storage/open-storage.js";
import { makeEvent, postJson, seedInstance } from "../http/test-server.js";

/**
 * The data folder holds every instance's events, the key hashes and the admin token: at start it
 * becomes owner-only (0700) and the SQLite file and its -wal/-shm owner-only (0600), also when an
 * earlier start (or an operator) left them 0755 / 0644.
 */
const root = mkdtempSync(join(tmpdir(), "mosaic-modes-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));

const mode = (path: string): number => statSync(path).mode & 0o777;

async function startAndIngest(dataDir: string): Promise<void> {
  const server = await startServer({
    env: { HOST: "127.0.0.1", PORT: "0", DATA_DIR: dataDir, LOG_LEVEL: "silent" },
    createPredictor,
    logger: false,
  });
  try {
    const seeded = await seedInstance(server.storage, "modes");
    const answer = await postJson(`${server.url}/v1/events/batch`, seeded.apiKey, { events: [makeEvent(seeded.instanceId)] });
    expect(answer.status).toBe(200);
    // While serving: the WAL and its index exist and carry the database file's mode.
    expect(mode(join(dataDir, "telemetry.db-wal"))).toBe(0o600);
    expect(mode(join(dataDir, "telemetry.db-shm"))).toBe(0o600);
  } finally {
    await server.stop();
  }
}

describe("file modes of the data folder and the database", () => {
  it("makes an existing 0755 folder and 0644 database, WAL and SHM owner-only at start", async () => {
    const dataDir = join(root, "existing");
    mkdirSync(dataDir, { mode: 0o755 });
    chmodSync(dataDir, 0o755);
    const file = join(dataDir, "telemetry.db");
    await migrate({ engine: "sqlite", path: file });
    // An earlier build's files: world-readable, with a WAL and SHM as a crash leaves them behind
    // (written after the connection closed: a live SHM is memory-mapped and must not be truncated).
    const db = new Database(file);
    db.exec("CREATE TABLE IF NOT EXISTS left_behind (x)");
    db.close();
    writeFileSync(`${file}-wal`, "");
    writeFileSync(`${file}-shm`, "");
    for (const path of [file, `${file}-wal`, `${file}-shm`]) chmodSync(path, 0o644);
    expect(mode(dataDir)).toBe(0o755);

    await startAndIngest(dataDir);

    expect(mode(dataDir)).toBe(0o700);
    expect(mode(file)).toBe(0o600);
    expect(mode(join(dataDir, "admin-token"))).toBe(0o600);
  });

  it("creates a fresh data folder 0700 and a fresh database 0600", async () => {
    const dataDir = join(root, "fresh", "data");
    await startAndIngest(dataDir);
    expect(mode(dataDir)).toBe(0o700);
    expect(mode(join(dataDir, "telemetry.db"))).toBe(0o600);
  });

  it("makes a database file outside the data folder 0600 too (its folder is left as it is)", async () => {
    const elsewhere = join(root, "elsewhere");
    mkdirSync(elsewhere, { mode: 0o755 });
    chmodSync(elsewhere, 0o755);
    const file = join(elsewhere, "t.db");
    writeFileSync(file, "");
    chmodSync(file, 0o644);
    await migrate({ engine: "sqlite", path: file });
    expect(mode(file)).toBe(0o600);
    expect(mode(elsewhere)).toBe(0o755);
  });
});
