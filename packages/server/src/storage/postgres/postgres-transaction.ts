import { StorageUnavailableError } from "../storage.js";
import type { PgPool, PgPoolClient, PgQueryResult } from "./postgres-driver.js";
import { mapPgError } from "./postgres-errors.js";
import { POSTGRES_DEFAULTS } from "./postgres-settings.js";

/**
 * A pg Pool as the engine's parts use it: queries with errors mapped (postgres-errors.ts) and
 * transactions on one client, retried when PostgreSQL aborts them as a deadlock victim.
 */
export class PostgresConnection {
  readonly #pool: PgPool;
  #closed = false;

  constructor(pool: PgPool) {
    this.#pool = pool;
  }

  get closed(): boolean {
    return this.#closed;
  }

  async query(text: string, values?: unknown[]): Promise<PgQueryResult> {
    return this.guard(() => this.#pool.query(text, values));
  }

  /** Runs `work` on the open pool, its errors mapped (StorageUnavailableError for an outage). */
  async guard<T>(work: () => Promise<T>): Promise<T> {
    if (this.#closed) throw new StorageUnavailableError("PostgreSQL storage is closed");
    try {
      return await work();
    } catch (error) {
      throw mapPgError(error);
    }
  }

  /**
   * One client, BEGIN … COMMIT; on failure ROLLBACK, and a client that cannot roll back is
   * destroyed. Key-ordered upserts should make deadlocks impossible; should PostgreSQL still
   * abort the transaction as a deadlock victim or serialization failure, nothing of it was
   * kept, so it is run again (a few times) before the caller sees StorageUnavailableError.
   */
  async transaction<T>(work: (client: PgPoolClient) => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.#transactionOnce(work);
      } catch (error) {
        const code = ((error as { cause?: { code?: unknown } }).cause ?? {}).code;
        if (attempt >= POSTGRES_DEFAULTS.transactionAttempts || (code !== "40P01" && code !== "40001")) throw error;
      }
    }
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.#pool.end();
  }

  async #transactionOnce<T>(work: (client: PgPoolClient) => Promise<T>): Promise<T> {
    return this.guard(async () => {
      const client = await this.#pool.connect();
      let destroy = false;
      // pg-pool stops listening for a client's 'error' while it is checked out; a connection
      // cut between two statements would then be an unhandled 'error' event and kill the
      // process. The failed statement rejects on its own; this only marks the client dead.
      const onConnectionError = () => {
        destroy = true;
      };
      client.on("error", onConnectionError);
      try {
        await client.query("BEGIN");
        const result = await work(client);
        await client.query("COMMIT");
        return result;
      } catch (error) {
        // After a read timeout the connection is stuck behind the unanswered query: a ROLLBACK
        // would only wait out the timeout again. Destroying the connection rolls back as well.
        if (isReadTimeout(error)) destroy = true;
        if (!destroy) {
          await client.query("ROLLBACK").catch(() => {
            destroy = true;
          });
        }
        throw error;
      } finally {
        client.release(destroy);
        client.off("error", onConnectionError);
      }
    });
  }
}

function isReadTimeout(error: unknown): boolean {
  return error instanceof Error && /query read timeout/i.test(error.message);
}
