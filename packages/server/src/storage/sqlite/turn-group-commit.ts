/**
 * Group commit for a synchronous engine: jobs submitted during one turn of the event loop wait
 * until the loop's check phase (setImmediate) and are written together in one transaction, so
 * concurrent requests share one commit and its fsync. Each job resolves with its own result only
 * after that commit and `afterCommit` (the WAL sync, wal-sync.ts), so "resolved" still means
 * durable; while a group waits for its sync, the loop goes on and the next group forms.
 *
 * Why not ../postgres/group-commit.ts: it starts a group as soon as the first job arrives and collects the
 * next group while the previous one awaits the database. better-sqlite3 never awaits (the write
 * blocks the loop), so that design would commit the first request of every turn alone; here the
 * group is formed first and written once per turn.
 */
export interface TurnGroupCommitOptions<J, R> {
  /** Writes several jobs in one transaction, synchronously; results answer `jobs` in order. */
  runTogether(jobs: readonly J[]): R[];
  /**
   * Whether a failure of a group of several jobs should be retried job by job, so one job's bad
   * data cannot fail the others. An outage fails them all at once instead.
   */
  retryAlone(error: unknown): boolean;
  /** A job's weight (events); a transaction holds at most `maxWeight`, or one heavier job alone. */
  weight(job: J): number;
  maxWeight: number;
  /** Resolves once a committed group is durable; a rejection fails the group's jobs. */
  afterCommit?(): Promise<void>;
}

interface Waiting<J, R> {
  job: J;
  resolve(result: R): void;
  reject(error: unknown): void;
}

export class TurnGroupCommit<J, R> {
  readonly #options: TurnGroupCommitOptions<J, R>;
  #waiting: Waiting<J, R>[] = [];
  #scheduled: NodeJS.Immediate | null = null;

  constructor(options: TurnGroupCommitOptions<J, R>) {
    this.#options = options;
  }

  submit(job: J): Promise<R> {
    return new Promise<R>((resolve, reject) => {
      this.#waiting.push({ job, resolve, reject });
      this.#scheduled ??= setImmediate(() => this.flush());
    });
  }

  /** Jobs waiting for this turn's group. */
  get queued(): number {
    return this.#waiting.length;
  }

  /** Writes every waiting job now (also what close() calls, so no accepted request is dropped). */
  flush(): void {
    if (this.#scheduled) clearImmediate(this.#scheduled);
    this.#scheduled = null;
    const waiting = this.#waiting;
    this.#waiting = [];
    for (const group of this.#split(waiting)) this.#runGroup(group);
  }

  /** Consecutive groups of at most maxWeight each (a heavier job goes alone), in arrival order. */
  #split(waiting: readonly Waiting<J, R>[]): Waiting<J, R>[][] {
    const groups: Waiting<J, R>[][] = [];
    let current: Waiting<J, R>[] = [];
    let weight = 0;
    for (const item of waiting) {
      const itemWeight = this.#options.weight(item.job);
      if (current.length > 0 && weight + itemWeight > this.#options.maxWeight) {
        groups.push(current);
        current = [];
        weight = 0;
      }
      current.push(item);
      weight += itemWeight;
    }
    if (current.length > 0) groups.push(current);
    return groups;
  }

  #runGroup(group: readonly Waiting<J, R>[]): void {
    let results: R[];
    try {
      results = this.#options.runTogether(group.map((item) => item.job));
    } catch (error) {
      if (group.length === 1 || !this.#options.retryAlone(error)) {
        for (const item of group) item.reject(error);
        return;
      }
      // The group's transaction rolled back as a whole: each job again in its own.
      for (const item of group) this.#runGroup([item]);
      return;
    }
    const resolveAll = (): void => group.forEach((item, index) => item.resolve(results[index] as R));
    if (!this.#options.afterCommit) return resolveAll();
    this.#options.afterCommit().then(resolveAll, (error: unknown) => {
      for (const item of group) item.reject(error);
    });
  }
}
