import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Database from "better-sqlite3";
import { afterAll, describe, expect, it } from "vitest";
import { eventJson } from "../../src/storage/event-json.js";
import { openStorage } from "../../src/storage/open-storage.js";
import { sqliteInstanceEvents } from "../../src/storage/sqlite/sqlite-data-tools.js";
import { makeEvent, seedInstance } from "./storage-fixtures.js";
import { toStore } from "../helpers/events-to-store.js";

const root = mkdtempSync(join(tmpdir(), "mosaic-compact-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe("SQLite's compact stored events (migration 9)", () => {
  it("stores new events compact and reads them beside rows stored as objects before, in the top events and the export", async () => {
    const path = join(root, "mixed.db");
    const storage = await openStorage({ engine: "sqlite", path });
    const { instance } = await seedInstance(storage);
    const timestamp = new Date(Date.now() - 60_000).toISOString();
    const compact = makeEvent(instance.id, { timestamp, actual_cost_usd_micros: 2_000, language: "go" });
    const older = makeEvent(instance.id, { timestamp, actual_cost_usd_micros: 1_000 });
    delete (older as { language?: string }).language;
    expect(await storage.ingestEvents(instance.id, toStore([compact]), new Date())).toEqual(["accepted"]);
    // A row as a build before migration 9 wrote it: the event as a JSON object.
    const raw = new Database(path);
    raw
      .prepare("INSERT INTO events (instance_id, event_id, received_at, timestamp, payload, occurred_at, cost_usd_micros) VALUES (?, ?, ?, ?, ?, ?, ?)")
      .run(instance.id, older.event_id, Date.now(), timestamp, eventJson(older), Date.parse(timestamp), older.actual_cost_usd_micros);
    const payloads = raw.prepare("SELECT event_id, payload FROM events").all() as { event_id: string; payload: string }[];
    expect(payloads.find((row) => row.event_id === compact.event_id)?.payload.startsWith('["1.0",')).toBe(true);

    const top = await storage.readTopEvents({ instanceId: instance.id, from: new Date(Date.now() - 3_600_000), to: new Date(Date.now() + 60_000), limit: 5 });
    expect(top.map((row) => row.event)).toEqual([JSON.parse(eventJson(compact)), JSON.parse(eventJson(older))]);
    await storage.close();

    // The export writes each event as its JSON object, whichever form its row holds.
    const exported = [...sqliteInstanceEvents(raw, instance.id.toUpperCase(), 0)];
    expect(exported.sort()).toEqual([eventJson(compact), eventJson(older)].sort());
    raw.close();
  });

  it("refuses to open a file a later build migrated, naming both versions, and changes nothing in it", async () => {
    const path = join(root, "later.db");
    await (await openStorage({ engine: "sqlite", path })).close();
    const raw = new Database(path);
    raw.prepare("INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)").run(10, "from the future", Date.now());
    raw.close();
    await expect(openStorage({ engine: "sqlite", path })).rejects.toThrow("the database's schema is at version 10, newer than this build knows (9)");
    const after = new Database(path, { readonly: true });
    // The export refuses too, before writing a line.
    expect(() => [...sqliteInstanceEvents(after, "6f1c2d3e-4a5b-4c6d-8e7f-9a0b1c2d3e4f", 0)]).toThrow("newer than this build knows (9)");
    expect(after.prepare("SELECT max(version) AS version FROM schema_migrations").get()).toEqual({ version: 10 });
    after.close();
  });
});
