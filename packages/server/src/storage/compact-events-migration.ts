import type { Migration } from "./migration.js";

/**
 * Migration 9 on both engines: from this version on, SQLite stores new events' payloads in the
 * compact form (sqlite/compact-event.ts: a JSON array of the known fields, without the columns
 * the row holds anyway), less than a third of the bytes of the event as an object. Rows stored
 * before keep their object form: readers take both, so nothing is rewritten and an upgrade of a
 * large file is immediate. No statement runs on either engine; the version is recorded so that a
 * build from before it (which would read an array as an event) finds a newer schema than its own
 * and refuses to open the file (migration.ts), and so the two engines' versions stay in step.
 */
export const COMPACT_EVENTS_MIGRATION: Migration = {
  version: 9,
  name: "compact stored events (SQLite; nothing on PostgreSQL)",
  sql: "",
};
