import { StorageUnavailableError } from "../storage.js";

/**
 * Runs submitted jobs in groups, one group at a time: while a group is being written, new jobs
 * wait and go together in the next one (group commit). Each job resolves with its own result
 * when the group that holds it has committed, so durability per request is unchanged.
 *
 * Why: on PostgreSQL every ingest transaction adds to the same popular aggregate rows, so
 * concurrent transactions queue on row locks and run one after another anyway; one transaction
 * for several requests locks and writes the rows they share once (docs/benchmarks-scale.md).
 *
 * The queue is bounded in time and size: when the database stalls (a group never finishes),
 * waiting jobs fail with StorageUnavailableError (a 503 with Retry-After) instead of holding
 * their requests, and their memory, until the stall ends.
 */
export interface GroupCommitOptions<J, R> {
  /** Writes several jobs in one go; results answer `jobs` in order. */
  runTogether(jobs: readonly J[]): Promise<R[]>;
  /**
   * Whether a failure of a group of several jobs should be retried job by job, so one job's bad
   * data cannot fail the others. An outage fails them all at once instead.
   */
  retryAlone(error: unknown): boolean;
  /** A job's weight (events); a group holds at most `maxWeight`, or one job heavier than that. */
  weight(job: J): number;
  maxWeight: number;
  /** A job still waiting for its group after this long fails (the group before it is stuck). */
  maxWaitMs: number;
  /** Total weight allowed to wait; a job beyond it fails at once (unless the queue is empty). */
  maxQueuedWeight: number;
}

interface Waiting<J, R> {
  job: J;
  weight: number;
  resolve(result: R): void;
  reject(error: unknown): void;
  timer: NodeJS.Timeout;
}

export class GroupCommit<J, R> {
  readonly #options: GroupCommitOptions<J, R>;
  readonly #waiting: Waiting<J, R>[] = [];
  #queuedWeight = 0;
  #draining = false;

  constructor(options: GroupCommitOptions<J, R>) {
    this.#options = options;
  }

  submit(job: J): Promise<R> {
    return new Promise<R>((resolve, reject) => {
      const weight = this.#options.weight(job);
      if (this.#waiting.length > 0 && this.#queuedWeight + weight > this.#options.maxQueuedWeight) {
        reject(new StorageUnavailableError("PostgreSQL storage busy: too many events waiting to be written"));
        return;
      }
      const waiting: Waiting<J, R> = { job, weight, resolve, reject, timer: setTimeout(() => this.#expire(waiting), this.#options.maxWaitMs) };
      // A stuck group must not keep the process alive after everything else has stopped.
      waiting.timer.unref();
      this.#waiting.push(waiting);
      this.#queuedWeight += weight;
      if (!this.#draining) void this.#drain();
    });
  }

  /** Jobs waiting for a group right now (not counting the group being written). */
  get queued(): number {
    return this.#waiting.length;
  }

  #expire(waiting: Waiting<J, R>): void {
    const index = this.#waiting.indexOf(waiting);
    if (index === -1) return;
    this.#waiting.splice(index, 1);
    this.#queuedWeight -= waiting.weight;
    waiting.reject(new StorageUnavailableError("PostgreSQL storage unavailable (waited too long for the previous write)"));
  }

  async #drain(): Promise<void> {
    this.#draining = true;
    try {
      while (this.#waiting.length > 0) await this.#runGroup(this.#takeGroup());
    } finally {
      this.#draining = false;
    }
  }

  #takeGroup(): Waiting<J, R>[] {
    const group: Waiting<J, R>[] = [];
    let weight = 0;
    while (this.#waiting.length > 0) {
      const next = this.#waiting[0] as Waiting<J, R>;
      if (group.length > 0 && weight + next.weight > this.#options.maxWeight) break;
      clearTimeout(next.timer);
      group.push(next);
      weight += next.weight;
      this.#queuedWeight -= next.weight;
      this.#waiting.shift();
    }
    return group;
  }

  async #runGroup(group: Waiting<J, R>[]): Promise<void> {
    try {
      const results = await this.#options.runTogether(group.map((waiting) => waiting.job));
      group.forEach((waiting, index) => waiting.resolve(results[index] as R));
    } catch (error) {
      if (group.length === 1 || !this.#options.retryAlone(error)) {
        for (const waiting of group) waiting.reject(error);
        return;
      }
      for (const [index, waiting] of group.entries()) {
        try {
          const [result] = await this.#options.runTogether([waiting.job]);
          waiting.resolve(result as R);
        } catch (aloneError) {
          waiting.reject(aloneError);
          // An outage met while retrying fails the rest at once: each would wait out its own timeout.
          if (!this.#options.retryAlone(aloneError)) {
            for (const rest of group.slice(index + 1)) rest.reject(aloneError);
            return;
          }
        }
      }
    }
  }
}
