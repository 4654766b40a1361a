import { predictionQueryKey, type PredictionQuery, type PredictionResponse } from "@mosaicstack/telemetry-protocol";

interface Entry {
  readonly response: PredictionResponse;
  readonly expiresAt: number;
}

/** Answers by query, each usable for a fixed time; an expired entry counts as absent. */
export class PredictionCache {
  private readonly entries = new Map<string, Entry>();

  constructor(
    private readonly ttlMs: number,
    private readonly now: () => number,
  ) {}

  set(query: PredictionQuery, response: PredictionResponse): void {
    this.entries.set(predictionQueryKey(query), { response, expiresAt: this.now() + this.ttlMs });
  }

  get(query: PredictionQuery): PredictionResponse | null {
    const key = predictionQueryKey(query);
    const entry = this.entries.get(key);
    if (entry === undefined) return null;
    if (this.now() >= entry.expiresAt) {
      this.entries.delete(key);
      return null;
    }
    return entry.response;
  }

  get size(): number {
    return this.entries.size;
  }
}
