/**
 * One fsync at a time (decision 0004's pattern). Callers that arrive while one runs share the
 * next, which starts when the running one ends and so covers everything they wrote; a burst of
 * sync() calls costs at most two fsyncs, not one each.
 */
export class SpoolSyncRunner {
  private running: Promise<void> | null = null;
  private queued: Promise<void> | null = null;

  /** `run` must never reject. */
  constructor(private readonly run: () => Promise<void>) {}

  /** True while a sync runs or waits: the file descriptor must stay as it is. */
  get busy(): boolean {
    return this.running !== null || this.queued !== null;
  }

  /** Resolves after a sync that started after this call. */
  request(): Promise<void> {
    if (this.running === null) return this.start();
    this.queued ??= this.running.then(() => {
      this.queued = null;
      return this.start();
    });
    return this.queued;
  }

  /** Resolves once no sync runs or waits. */
  async idle(): Promise<void> {
    while (this.running !== null || this.queued !== null) await (this.queued ?? this.running);
  }

  private start(): Promise<void> {
    const running: Promise<void> = this.run().finally(() => {
      if (this.running === running) this.running = null;
    });
    this.running = running;
    return running;
  }
}
