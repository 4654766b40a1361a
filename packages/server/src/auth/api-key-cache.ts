import type { ApiKeyRecord } from "../storage/storage.js";

/** How long a key lookup is reused before storage is asked again. */
export const DEFAULT_KEY_CACHE_TTL_MS = 30_000;

export interface ApiKeyCacheOptions {
  /** @default 30000 */
  ttlMs?: number;
  /** Entries kept at most; the oldest go first. @default 10000 */
  maxEntries?: number;
  /** Milliseconds since the epoch. @default Date.now */
  now?: () => number;
}

interface Entry {
  record: ApiKeyRecord | null;
  expires: number;
}

/**
 * Key lookups by hash, kept for a short TTL so that ingest does not hit storage on every request.
 * Unknown hashes are cached too (as null) so a flood of wrong keys costs no queries; a key issued
 * after its hash was cached as unknown is practically impossible (256 random bits).
 * Revocation calls `invalidate(keyId)`, through this process's admin API or a RevocationNotifier
 * that other nodes publish on.
 *
 * A lookup that was already running when a revocation arrived may have read the key before the
 * revocation committed; the eviction found nothing to evict then. So `invalidate` and `clear`
 * bump a generation, and `set` drops a lookup result that started in an earlier generation
 * (the next request looks the key up again instead of trusting it for a whole TTL).
 */
export class ApiKeyCache {
  private readonly entries = new Map<string, Entry>();
  private readonly ttlMs: number;
  private readonly maxEntries: number;
  private readonly now: () => number;
  #generation = 0;

  constructor(options: ApiKeyCacheOptions = {}) {
    this.ttlMs = Math.max(0, options.ttlMs ?? DEFAULT_KEY_CACHE_TTL_MS);
    this.maxEntries = Math.max(1, options.maxEntries ?? 10_000);
    this.now = options.now ?? Date.now;
  }

  /** The cached lookup of `hash`: a record, null (known unknown), or undefined (not cached). */
  get(hash: string): ApiKeyRecord | null | undefined {
    const entry = this.entries.get(hash);
    if (entry === undefined) return undefined;
    if (entry.expires <= this.now()) {
      this.entries.delete(hash);
      return undefined;
    }
    return entry.record;
  }

  /** Take this before a storage lookup and hand it to `set` with the result. */
  get generation(): number {
    return this.#generation;
  }

  /**
   * Caches a lookup result. With `lookupGeneration` (the `generation` read before the lookup
   * started), a result that a revocation or clear may have overtaken is not cached.
   */
  set(hash: string, record: ApiKeyRecord | null, lookupGeneration?: number): void {
    if (this.ttlMs === 0) return;
    if (lookupGeneration !== undefined && lookupGeneration !== this.#generation) return;
    this.entries.delete(hash);
    if (this.entries.size >= this.maxEntries) {
      const oldest = this.entries.keys().next();
      if (oldest.done !== true) this.entries.delete(oldest.value);
    }
    this.entries.set(hash, { record, expires: this.now() + this.ttlMs });
  }

  /** Forgets the key with this id at once (it was revoked). */
  invalidate(keyId: string): void {
    this.#generation++;
    for (const [hash, entry] of this.entries) {
      if (entry.record?.id === keyId) this.entries.delete(hash);
    }
  }

  clear(): void {
    this.#generation++;
    this.entries.clear();
  }

  get size(): number {
    return this.entries.size;
  }
}
