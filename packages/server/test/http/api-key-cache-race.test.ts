import type { FastifyRequest } from "fastify";
import { describe, expect, it } from "vitest";
import { apiKeyAuthHook } from "../../src/auth/api-key-auth.js";
import { ApiKeyCache } from "../../src/auth/api-key-cache.js";
import { generateApiKey } from "../../src/auth/api-key-generator.js";
import type { ApiKeyRecord } from "../../src/storage/storage.js";

/** A storage whose key lookups the test answers by hand, in the order they were asked. */
function controlledStorage() {
  const pending: ((record: ApiKeyRecord | null) => void)[] = [];
  return {
    lookups: () => pending.length,
    answer: (record: ApiKeyRecord | null) => pending.shift()?.(record),
    findApiKeyByHash: () => new Promise<ApiKeyRecord | null>((resolve) => pending.push(resolve)),
  };
}

const requestWith = (key: string) => ({ headers: { authorization: `Bearer ${key}` } }) as unknown as FastifyRequest;
const settled = () => new Promise((done) => setImmediate(done));

describe("API key cache and a revocation during a lookup", () => {
  const now = new Date("2026-11-29T10:00:00.000Z");

  it("does not cache a lookup that started before a revocation arrived (the eviction found nothing to evict)", async () => {
    const { key, record } = generateApiKey("instance-1", now);
    const valid: ApiKeyRecord = { ...record, revokedAt: null };
    const revoked: ApiKeyRecord = { ...record, revokedAt: now };
    const storage = controlledStorage();
    const cache = new ApiKeyCache({ now: () => now.getTime() });
    const hook = apiKeyAuthHook({ storage, cache, now: () => now });

    // Process B misses the cache and reads the key before process A's revocation commits.
    const racing = hook(requestWith(key));
    await settled();
    expect(storage.lookups()).toBe(1);
    cache.invalidate(record.id); // A's broadcast arrives while B's lookup is still out
    storage.answer(valid);
    await racing; // this request raced the revocation and may pass; what matters is what stays cached
    expect(cache.get(valid.hash)).toBeUndefined();

    // The next request asks storage again and is refused, instead of passing for a whole TTL.
    const next = hook(requestWith(key));
    await settled();
    expect(storage.lookups()).toBe(1);
    storage.answer(revoked);
    await expect(next).rejects.toMatchObject({ statusCode: 401 });
  });

  it("still caches a lookup that no revocation or clear overtook", async () => {
    const { key, record: issued } = generateApiKey("instance-2", now);
    const record: ApiKeyRecord = { ...issued, revokedAt: null };
    const storage = controlledStorage();
    const cache = new ApiKeyCache({ now: () => now.getTime() });
    const hook = apiKeyAuthHook({ storage, cache, now: () => now });
    const first = hook(requestWith(key));
    await settled();
    storage.answer(record);
    await first;
    expect(cache.get(record.hash)).toEqual(record);
    await hook(requestWith(key)); // answered from the cache: no lookup left pending
    expect(storage.lookups()).toBe(0);
  });

  it("drops a result whose lookup started before clear() (the revocation channel came back)", () => {
    const record: ApiKeyRecord = { ...generateApiKey("instance-3", now).record, revokedAt: null };
    const cache = new ApiKeyCache({ now: () => now.getTime() });
    const generation = cache.generation;
    cache.clear();
    cache.set(record.hash, record, generation);
    expect(cache.get(record.hash)).toBeUndefined();
    cache.set(record.hash, record, cache.generation);
    expect(cache.get(record.hash)).toEqual(record);
  });
});
