import { isWellFormedApiKey } from "@mosaicstack/telemetry-protocol";
import { describe, expect, it } from "vitest";
import { ApiKeyCache } from "../../src/auth/api-key-cache.js";
import { API_KEY_RANDOM_LENGTH, generateApiKey, randomBase62 } from "../../src/auth/api-key-generator.js";
import { createLocalRevocationNotifier } from "../../src/auth/revocation-notifier.js";
import { secretsEqual, sha256Hex } from "../../src/auth/secret-hash.js";
import type { ApiKeyRecord } from "../../src/storage/storage.js";

describe("generateApiKey", () => {
  it("issues a well-formed key with 43 random characters, its hash and display form, a UUID id", () => {
    const instanceId = "a1b2c3d4-e5f6-4a7b-8c9d-0e1f2a3b4c5d";
    const now = new Date("2026-11-28T12:00:00Z");
    const { key, record } = generateApiKey(instanceId, now);
    expect(isWellFormedApiKey(key)).toBe(true);
    expect(key.length).toBe(4 + API_KEY_RANDOM_LENGTH + 1 + 6);
    expect(record).toMatchObject({ instanceId, hash: sha256Hex(key), createdAt: now, expiresAt: null });
    expect(record.id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(record.display).toBe(`${key.slice(0, 8)}…${key.slice(-4)}`);
    expect(generateApiKey(instanceId, now).key).not.toBe(key);
  });

  it("drops bytes >= 248 so that no character is favoured", () => {
    // 248..255 would map to 0..7 under a plain modulo; they must be skipped.
    let call = 0;
    const random = (size: number) => {
      call++;
      return Uint8Array.from({ length: size }, (_, i) => (call === 1 ? 248 + (i % 8) : i % 62));
    };
    expect(randomBase62(5, random)).toBe("01234");
  });

  it("draws every base62 character about equally often", () => {
    const counts = new Map<string, number>();
    const sample = randomBase62(62 * 400);
    for (const char of sample) counts.set(char, (counts.get(char) ?? 0) + 1);
    expect(counts.size).toBe(62);
    for (const count of counts.values()) expect(count).toBeGreaterThan(250);
  });
});

describe("secretsEqual", () => {
  it("compares whatever the lengths", () => {
    expect(secretsEqual("abc", "abc")).toBe(true);
    expect(secretsEqual("abc", "abcd")).toBe(false);
    expect(secretsEqual("", "x")).toBe(false);
  });
});

describe("ApiKeyCache", () => {
  const record = (id: string): ApiKeyRecord => ({
    id,
    instanceId: "i",
    hash: "h",
    display: "d",
    createdAt: new Date(0),
    revokedAt: null,
    expiresAt: null,
  });

  it("forgets entries after the TTL of the injected clock", () => {
    let now = 1000;
    const cache = new ApiKeyCache({ ttlMs: 30_000, now: () => now });
    cache.set("hash-a", record("a"));
    cache.set("hash-unknown", null);
    expect(cache.get("hash-a")?.id).toBe("a");
    expect(cache.get("hash-unknown")).toBeNull();
    expect(cache.get("hash-missing")).toBeUndefined();
    now += 30_000;
    expect(cache.get("hash-a")).toBeUndefined();
    expect(cache.get("hash-unknown")).toBeUndefined();
  });

  it("invalidates by key id and clears", () => {
    const cache = new ApiKeyCache();
    cache.set("hash-a", record("a"));
    cache.set("hash-b", record("b"));
    cache.invalidate("a");
    expect(cache.get("hash-a")).toBeUndefined();
    expect(cache.get("hash-b")?.id).toBe("b");
    cache.clear();
    expect(cache.size).toBe(0);
  });

  it("keeps at most maxEntries, dropping the oldest", () => {
    const cache = new ApiKeyCache({ maxEntries: 2 });
    cache.set("1", record("1"));
    cache.set("2", record("2"));
    cache.set("3", record("3"));
    expect(cache.get("1")).toBeUndefined();
    expect(cache.size).toBe(2);
  });

  it("is evicted through a revocation notifier", async () => {
    const cache = new ApiKeyCache();
    const notifier = createLocalRevocationNotifier();
    const unsubscribe = notifier.subscribe((keyId) => cache.invalidate(keyId));
    cache.set("hash-a", record("a"));
    await notifier.publish("a");
    expect(cache.get("hash-a")).toBeUndefined();
    unsubscribe();
    cache.set("hash-a", record("a"));
    await notifier.publish("a");
    expect(cache.get("hash-a")?.id).toBe("a");
  });
});
