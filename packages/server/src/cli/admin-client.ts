import type { ErrorBody } from "@mosaicstack/telemetry-protocol";

/** A failed admin call: the server's error code and message, or a network failure. */
export class AdminApiError extends Error {
  override readonly name = "AdminApiError";
  constructor(
    message: string,
    readonly status: number | null,
    readonly code: string | null,
  ) {
    super(message);
  }
}

export type FetchLike = typeof fetch;

/**
 * Calls the admin API of a running server. The token goes in the Authorization header only,
 * never in a URL or a message.
 */
export class AdminClient {
  private readonly base: string;

  constructor(
    serverUrl: string,
    private readonly token: string,
    private readonly fetchImpl: FetchLike = fetch,
  ) {
    this.base = serverUrl.replace(/\/+$/, "");
  }

  async call<T>(method: string, path: string, body?: unknown): Promise<T> {
    let response: Response;
    try {
      response = await this.fetchImpl(`${this.base}${path}`, {
        method,
        headers: {
          authorization: `Bearer ${this.token}`,
          ...(body === undefined ? {} : { "content-type": "application/json" }),
        },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
        signal: AbortSignal.timeout(30_000),
      });
    } catch (error) {
      throw new AdminApiError(`cannot reach ${this.base}: ${(error as Error).message}`, null, null);
    }
    const text = await response.text();
    let parsed: unknown = null;
    try {
      parsed = text === "" ? null : JSON.parse(text);
    } catch {
      // A proxy's HTML page, say: reported by status below.
    }
    if (!response.ok) {
      const error = (parsed as Partial<ErrorBody> | null)?.error;
      const code = typeof error?.code === "string" ? error.code : null;
      const message = typeof error?.message === "string" ? error.message : `HTTP ${response.status}`;
      throw new AdminApiError(code === null ? message : `${code}: ${message}`, response.status, code);
    }
    return parsed as T;
  }
}
