/**
 * The events in the spool that have not left the client yet, with the bytes of their records
 * on disk: what `liveBytes` reports and the client's byte bound applies to. One Map entry per
 * event; an id appended twice keeps both records' bytes (both are on disk until removed).
 */
export class LiveEvents {
  private readonly sizes = new Map<string, number>();
  private total = 0;

  get count(): number {
    return this.sizes.size;
  }

  get bytes(): number {
    return this.total;
  }

  has(id: string): boolean {
    return this.sizes.has(id);
  }

  add(id: string, bytes: number): void {
    this.sizes.set(id, (this.sizes.get(id) ?? 0) + bytes);
    this.total += bytes;
  }

  /** Forgets `id`; false when it was not live. */
  delete(id: string): boolean {
    const bytes = this.sizes.get(id);
    if (bytes === undefined) return false;
    this.sizes.delete(id);
    this.total -= bytes;
    return true;
  }

  clear(): void {
    this.sizes.clear();
    this.total = 0;
  }
}
