/**
 * Runs submitted jobs in groups, one group at a time: while a group is being written, new jobs
 * wait and go together in the next one (group commit). Each job resolves with its own result
 * when the group that holds it has committed, so durability per request is unchanged.
 *
 * Why: on PostgreSQL every ingest transaction adds to the same popular aggregate rows, so
 * concurrent transactions queue on row locks and run one after another anyway; one transaction
 * for several requests locks and writes the rows they share once (docs/benchmarks-scale.md).
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
}

interface Waiting<J, R> {
  job: J;
  resolve(result: R): void;
  reject(error: unknown): void;
}

export class GroupCommit<J, R> {
  readonly #options: GroupCommitOptions<J, R>;
  readonly #waiting: Waiting<J, R>[] = [];
  #draining = false;

  constructor(options: GroupCommitOptions<J, R>) {
    this.#options = options;
  }

  submit(job: J): Promise<R> {
    return new Promise<R>((resolve, reject) => {
      this.#waiting.push({ job, resolve, reject });
      if (!this.#draining) void this.#drain();
    });
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
      const nextWeight = this.#options.weight(next.job);
      if (group.length > 0 && weight + nextWeight > this.#options.maxWeight) break;
      group.push(next);
      weight += nextWeight;
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
      for (const waiting of group) {
        try {
          const [result] = await this.#options.runTogether([waiting.job]);
          waiting.resolve(result as R);
        } catch (aloneError) {
          waiting.reject(aloneError);
        }
      }
    }
  }
}
