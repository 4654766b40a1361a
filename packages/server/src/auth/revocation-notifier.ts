/**
 * Tells every server process that a key was revoked, so each evicts it from its key cache.
 * The in-process one below serves a single node; a Redis pub/sub one (issue 4) implements the
 * same two methods for several nodes.
 */
export interface RevocationNotifier {
  /** Announces a revocation (including to this process's own subscribers). */
  publish(keyId: string): Promise<void>;
  /** Calls `listener` for every revocation announced; returns the unsubscribe function. */
  subscribe(listener: (keyId: string) => void): () => void;
}

/** A notifier that reaches only the current process. */
export function createLocalRevocationNotifier(): RevocationNotifier {
  const listeners = new Set<(keyId: string) => void>();
  return {
    async publish(keyId) {
      for (const listener of listeners) listener(keyId);
    },
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  };
}
