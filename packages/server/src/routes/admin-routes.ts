import { randomUUID } from "node:crypto";
import type { FastifyInstance } from "fastify";
import {
  UUID_PATTERN,
  type ApiKeySummary,
  type CreateApiKeyResponse,
  type CreateInstanceResponse,
  type InstanceListResponse,
  type InstanceSummary,
  type InstanceUsageResponse,
  type IssuedApiKey,
  type RevokeApiKeyResponse,
} from "@mosaicstack/telemetry-protocol";
import type { ApiKeyCache } from "../auth/api-key-cache.js";
import { generateApiKey } from "../auth/api-key-generator.js";
import type { RevocationNotifier } from "../auth/revocation-notifier.js";
import { HttpError } from "../http/http-error.js";
import type { ApiKeyRecord, InstanceRecord, NewApiKey, Storage } from "../storage/storage.js";
import { instanceNameProblem } from "./instance-name.js";
import { ADMIN_SECURITY, errorResponses, response } from "../http/openapi-schemas.js";

export interface AdminRouteOptions {
  storage: Storage;
  now: () => Date;
  keyCache: ApiKeyCache;
  revocations: RevocationNotifier;
}

/** The longest instance name accepted. */
export const MAX_INSTANCE_NAME_LENGTH = 200;

const uuid = new RegExp(UUID_PATTERN);

const INSTANCE_SCHEMA = {
  type: "object",
  properties: { id: { type: "string" }, name: { type: "string" }, created_at: { type: "string", format: "date-time" } },
  required: ["id", "name", "created_at"],
};

const KEY_PROPERTIES = {
  id: { type: "string" },
  instance_id: { type: "string" },
  display: { type: "string", description: "msk_ab12…wxyz: never the key itself." },
  created_at: { type: "string", format: "date-time" },
  revoked_at: { type: ["string", "null"], format: "date-time" },
  expires_at: { type: ["string", "null"], format: "date-time" },
};
const KEY_REQUIRED = ["id", "instance_id", "display", "created_at", "revoked_at", "expires_at"];
const KEY_SUMMARY_SCHEMA = { type: "object", properties: KEY_PROPERTIES, required: KEY_REQUIRED };
const ISSUED_KEY_SCHEMA = {
  type: "object",
  properties: { ...KEY_PROPERTIES, key: { type: "string", description: "The full key: shown this once only." } },
  required: [...KEY_REQUIRED, "key"],
};
const ID_PARAMS = { type: "object", properties: { id: { type: "string" } }, required: ["id"] };
const KEY_ID_PARAMS = { type: "object", properties: { key_id: { type: "string" } }, required: ["key_id"] };

/** The admin API under /v1/admin/. Its auth hook is installed by the caller's scope. */
export async function adminRoutes(app: FastifyInstance, options: AdminRouteOptions): Promise<void> {
  const { storage, now } = options;

  app.post(
    "/admin/instances",
    {
      schema: {
        tags: ["admin"],
        summary: "Create an instance and its first API key",
        security: ADMIN_SECURITY,
        body: {
          type: "object",
          properties: {
            name: {
              type: "string",
              minLength: 1,
              maxLength: MAX_INSTANCE_NAME_LENGTH,
              description: "Any text without control characters (U+0000 to U+001F, U+007F to U+009F).",
            },
          },
          required: ["name"],
        },
        response: {
          201: response("The instance and its first key, in full this once.", {
            type: "object",
            properties: { instance: INSTANCE_SCHEMA, api_key: ISSUED_KEY_SCHEMA },
            required: ["instance", "api_key"],
          }),
          ...errorResponses([400, 401, 404, 413, 415, 429, 500, 503]),
        },
      },
    },
    async (request, reply): Promise<CreateInstanceResponse> => {
      const { name } = request.body as { name: string };
      const problem = instanceNameProblem(name);
      if (problem !== null) throw new HttpError("invalid_request", problem);
      const createdAt = now();
      const instance: InstanceRecord = { id: randomUUID(), name: name.trim() || name, createdAt };
      const { key, record } = generateApiKey(instance.id, createdAt);
      await storage.createInstance(instance, record);
      void reply.code(201);
      return { instance: instanceSummary(instance), api_key: issuedKey(record, key) };
    },
  );

  app.get(
    "/admin/instances",
    {
      schema: {
        tags: ["admin"],
        summary: "List instances with their keys (by id and display form)",
        security: ADMIN_SECURITY,
        response: {
          200: response("Every instance.", {
            type: "object",
            properties: {
              instances: {
                type: "array",
                items: {
                  type: "object",
                  properties: { ...INSTANCE_SCHEMA.properties, keys: { type: "array", items: KEY_SUMMARY_SCHEMA } },
                  required: [...INSTANCE_SCHEMA.required, "keys"],
                },
              },
            },
            required: ["instances"],
          }),
          ...errorResponses([401, 404, 429, 500, 503]),
        },
      },
    },
    async (): Promise<InstanceListResponse> => {
      const [instances, keys] = await Promise.all([storage.listInstances(), storage.listApiKeys()]);
      const byInstance = new Map<string, ApiKeySummary[]>();
      for (const key of keys) {
        const list = byInstance.get(key.instanceId) ?? [];
        list.push(keySummary(key));
        byInstance.set(key.instanceId, list);
      }
      return {
        instances: instances.map((instance) => ({ ...instanceSummary(instance), keys: byInstance.get(instance.id) ?? [] })),
      };
    },
  );

  app.post(
    "/admin/instances/:id/keys",
    {
      schema: {
        tags: ["admin"],
        summary: "Issue an additional API key for an instance (rotation)",
        security: ADMIN_SECURITY,
        params: ID_PARAMS,
        response: {
          201: response("The new key, in full this once.", {
            type: "object",
            properties: { api_key: ISSUED_KEY_SCHEMA },
            required: ["api_key"],
          }),
          ...errorResponses([401, 404, 429, 500, 503]),
        },
      },
    },
    async (request, reply): Promise<CreateApiKeyResponse> => {
      const instance = await findInstance(storage, (request.params as { id: string }).id);
      const { key, record } = generateApiKey(instance.id, now());
      await storage.insertApiKey(record);
      void reply.code(201);
      return { api_key: issuedKey(record, key) };
    },
  );

  app.delete(
    "/admin/keys/:key_id",
    {
      schema: {
        tags: ["admin"],
        summary: "Revoke an API key at once",
        security: ADMIN_SECURITY,
        params: KEY_ID_PARAMS,
        response: {
          200: response("The key as revoked. Revoking twice keeps the first time.", {
            type: "object",
            properties: { api_key: KEY_SUMMARY_SCHEMA },
            required: ["api_key"],
          }),
          ...errorResponses([401, 404, 429, 500, 503]),
        },
      },
    },
    async (request): Promise<RevokeApiKeyResponse> => {
      const keyId = (request.params as { key_id: string }).key_id;
      const revoked = uuid.test(keyId) ? await storage.revokeApiKey(keyId.toLowerCase(), now()) : null;
      if (revoked === null) throw new HttpError("not_found", "no API key with this id");
      // Evict here at once, then tell the other processes (issue 4 puts Redis behind this).
      options.keyCache.invalidate(revoked.id);
      await options.revocations.publish(revoked.id);
      return { api_key: keySummary(revoked) };
    },
  );

  app.get(
    "/admin/instances/:id/usage",
    {
      schema: {
        tags: ["admin"],
        summary: "Event counts of an instance",
        security: ADMIN_SECURITY,
        params: ID_PARAMS,
        response: {
          200: response("Usage.", {
            type: "object",
            properties: {
              instance_id: { type: "string" },
              events: { type: "integer" },
              first_event_at: { type: ["string", "null"], format: "date-time" },
              last_event_at: { type: ["string", "null"], format: "date-time" },
            },
            required: ["instance_id", "events", "first_event_at", "last_event_at"],
          }),
          ...errorResponses([401, 404, 429, 500, 503]),
        },
      },
    },
    async (request): Promise<InstanceUsageResponse> => {
      const instance = await findInstance(storage, (request.params as { id: string }).id);
      const usage = await storage.usage(instance.id);
      return {
        instance_id: instance.id,
        events: usage.events,
        first_event_at: usage.firstEventAt?.toISOString() ?? null,
        last_event_at: usage.lastEventAt?.toISOString() ?? null,
      };
    },
  );
}

async function findInstance(storage: Storage, id: string): Promise<InstanceRecord> {
  // A malformed id is simply unknown (and never reaches a uuid-typed column).
  const instance = uuid.test(id) ? await storage.getInstance(id.toLowerCase()) : null;
  if (instance === null) throw new HttpError("not_found", "no instance with this id");
  return instance;
}

function instanceSummary(instance: InstanceRecord): InstanceSummary {
  return { id: instance.id, name: instance.name, created_at: instance.createdAt.toISOString() };
}

function keySummary(key: ApiKeyRecord): ApiKeySummary {
  return {
    id: key.id,
    instance_id: key.instanceId,
    display: key.display,
    created_at: key.createdAt.toISOString(),
    revoked_at: key.revokedAt?.toISOString() ?? null,
    expires_at: key.expiresAt?.toISOString() ?? null,
  };
}

function issuedKey(record: NewApiKey, key: string): IssuedApiKey {
  return { ...keySummary({ ...record, revokedAt: null }), key };
}
