import type { ApiKeyRecord, InstanceRecord, NewApiKey } from "../storage.js";
import type { PgQueryable } from "./postgres-driver.js";
import { toApiKey, toInstance } from "./postgres-rows.js";
import type { PostgresConnection } from "./postgres-transaction.js";

/** Instances and API keys on PostgreSQL. */

export async function createInstance(c: PostgresConnection, instance: InstanceRecord, firstKey: NewApiKey): Promise<void> {
  await c.transaction(async (client) => {
    await client.query("INSERT INTO instances (id, name, created_at) VALUES ($1, $2, $3)", [instance.id, instance.name, instance.createdAt]);
    await insertKey(client, firstKey);
  });
}

export async function getInstance(c: PostgresConnection, id: string): Promise<InstanceRecord | null> {
  const { rows } = await c.query("SELECT * FROM instances WHERE id = $1", [id]);
  return rows[0] ? toInstance(rows[0]) : null;
}

export async function listInstances(c: PostgresConnection): Promise<InstanceRecord[]> {
  const { rows } = await c.query("SELECT * FROM instances ORDER BY created_at, id");
  return rows.map(toInstance);
}

export async function insertApiKey(c: PostgresConnection, key: NewApiKey): Promise<void> {
  await insertKey(c, key);
}

export async function listApiKeys(c: PostgresConnection, instanceId?: string): Promise<ApiKeyRecord[]> {
  const { rows } =
    instanceId === undefined
      ? await c.query("SELECT * FROM api_keys ORDER BY created_at, id")
      : await c.query("SELECT * FROM api_keys WHERE instance_id = $1 ORDER BY created_at, id", [instanceId]);
  return rows.map(toApiKey);
}

export async function findApiKeyByHash(c: PostgresConnection, hash: string): Promise<ApiKeyRecord | null> {
  const { rows } = await c.query("SELECT * FROM api_keys WHERE hash = $1", [hash]);
  return rows[0] ? toApiKey(rows[0]) : null;
}

export async function revokeApiKey(c: PostgresConnection, id: string, at: Date): Promise<ApiKeyRecord | null> {
  // COALESCE keeps the first revocation time when a key is revoked twice.
  const { rows } = await c.query("UPDATE api_keys SET revoked_at = COALESCE(revoked_at, $1) WHERE id = $2 RETURNING *", [at, id]);
  return rows[0] ? toApiKey(rows[0]) : null;
}

async function insertKey(db: PgQueryable, key: NewApiKey): Promise<void> {
  await db.query("INSERT INTO api_keys (id, instance_id, hash, display, created_at, revoked_at, expires_at) VALUES ($1, $2, $3, $4, $5, NULL, $6)", [
    key.id,
    key.instanceId,
    key.hash,
    key.display,
    key.createdAt,
    key.expiresAt,
  ]);
}
