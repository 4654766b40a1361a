import type { ApiKeyRecord, InstanceRecord, NewApiKey } from "../storage.js";
import { toApiKey, toInstance, type ApiKeyRow, type InstanceRow } from "./sqlite-rows.js";
import type { SqliteConnection } from "./sqlite-transaction.js";

/** Instances and API keys on SQLite: each write resolves once durable. */

export async function createInstance(c: SqliteConnection, instance: InstanceRecord, firstKey: NewApiKey): Promise<void> {
  c.run(() =>
    c.transaction(() => {
      c.statement("INSERT INTO instances (id, name, created_at) VALUES (?, ?, ?)").run(instance.id, instance.name, instance.createdAt.getTime());
      insertKey(c, firstKey);
    }),
  );
  await c.durable();
}

export async function getInstance(c: SqliteConnection, id: string): Promise<InstanceRecord | null> {
  const row = c.run(() => c.statement("SELECT * FROM instances WHERE id = ?").get(id)) as InstanceRow | undefined;
  return row ? toInstance(row) : null;
}

export async function listInstances(c: SqliteConnection): Promise<InstanceRecord[]> {
  const rows = c.run(() => c.statement("SELECT * FROM instances ORDER BY created_at, id").all()) as InstanceRow[];
  return rows.map(toInstance);
}

export async function insertApiKey(c: SqliteConnection, key: NewApiKey): Promise<void> {
  c.run(() => insertKey(c, key));
  await c.durable();
}

export async function listApiKeys(c: SqliteConnection, instanceId?: string): Promise<ApiKeyRecord[]> {
  const rows = c.run(() =>
    instanceId === undefined
      ? c.statement("SELECT * FROM api_keys ORDER BY created_at, id").all()
      : c.statement("SELECT * FROM api_keys WHERE instance_id = ? ORDER BY created_at, id").all(instanceId),
  ) as ApiKeyRow[];
  return rows.map(toApiKey);
}

export async function findApiKeyByHash(c: SqliteConnection, hash: string): Promise<ApiKeyRecord | null> {
  const row = c.run(() => c.statement("SELECT * FROM api_keys WHERE hash = ?").get(hash)) as ApiKeyRow | undefined;
  return row ? toApiKey(row) : null;
}

export async function revokeApiKey(c: SqliteConnection, id: string, at: Date): Promise<ApiKeyRecord | null> {
  // COALESCE keeps the first revocation time when a key is revoked twice.
  const row = c.run(() =>
    c.statement("UPDATE api_keys SET revoked_at = COALESCE(revoked_at, ?) WHERE id = ? RETURNING *").get(at.getTime(), id),
  ) as ApiKeyRow | undefined;
  await c.durable();
  return row ? toApiKey(row) : null;
}

function insertKey(c: SqliteConnection, key: NewApiKey): void {
  c.statement("INSERT INTO api_keys (id, instance_id, hash, display, created_at, revoked_at, expires_at) VALUES (?, ?, ?, ?, ?, NULL, ?)").run(
    key.id,
    key.instanceId,
    key.hash,
    key.display,
    key.createdAt.getTime(),
    key.expiresAt?.getTime() ?? null,
  );
}
