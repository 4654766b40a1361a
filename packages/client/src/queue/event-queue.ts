/**
 * A bounded FIFO of events as a growable ring buffer: push and take are O(1) per event (no
 * Array.shift on a large array), and the only memory kept per event beside the event object is
 * one slot in the ring and 4 bytes of its size estimate in a parallel typed array.
 * At capacity (count or bytes) the OLDEST events are evicted, as OpenTelemetry's batch processor
 * does: recent events are worth more than old ones.
 */
export class EventQueue<T> {
  private items: (T | undefined)[];
  private sizes: Uint32Array;
  private head = 0;
  private count = 0;
  private totalBytes = 0;

  constructor(
    private readonly maxItems: number,
    private readonly maxBytes: number,
    /** Told of each evicted item (the spool forgets it); not called for items taken. */
    private readonly onEvict?: (item: T) => void,
  ) {
    const initial = Math.min(1024, maxItems);
    this.items = new Array<T | undefined>(initial);
    this.sizes = new Uint32Array(initial);
  }

  get size(): number {
    return this.count;
  }

  /** The sum of the size estimates of the queued events. */
  get bytes(): number {
    return this.totalBytes;
  }

  /** Appends one event; returns how many old events were evicted to make room. */
  push(item: T, bytes: number): number {
    let evicted = 0;
    if (this.count === this.maxItems) {
      this.dropOldest();
      evicted++;
    } else if (this.count === this.items.length) {
      this.grow();
    }
    const slot = (this.head + this.count) % this.items.length;
    this.items[slot] = item;
    this.sizes[slot] = bytes;
    this.count++;
    this.totalBytes += bytes;
    while (this.totalBytes > this.maxBytes && this.count > 1) {
      this.dropOldest();
      evicted++;
    }
    return evicted;
  }

  /** Removes and returns up to `n` events from the front, oldest first. */
  take(n: number): T[] {
    const taken = Math.min(n, this.count);
    const out = new Array<T>(taken);
    for (let i = 0; i < taken; i++) {
      out[i] = this.items[this.head] as T;
      this.items[this.head] = undefined;
      this.totalBytes -= this.sizes[this.head] as number;
      this.head = (this.head + 1) % this.items.length;
    }
    this.count -= taken;
    if (this.count === 0) this.head = 0;
    return out;
  }

  /** The first `n` events, oldest first, left in the queue. */
  peek(n: number): T[] {
    const count = Math.min(n, this.count);
    const out = new Array<T>(count);
    for (let i = 0; i < count; i++) out[i] = this.items[(this.head + i) % this.items.length] as T;
    return out;
  }

  /**
   * Puts events back at the FRONT, in their order (a batch that could not be sent goes first
   * next time). Returns how many events were evicted because the queue filled up meanwhile:
   * the oldest go first, which may be some of the returned ones.
   */
  requeue(batch: readonly T[], sizeOf: (item: T) => number): number {
    let evicted = 0;
    for (let i = batch.length - 1; i >= 0; i--) {
      if (this.count === this.maxItems) {
        // The items we are about to put back would be the oldest: they are the ones evicted.
        evicted += i + 1;
        if (this.onEvict !== undefined) for (let j = 0; j <= i; j++) this.onEvict(batch[j] as T);
        break;
      }
      if (this.count === this.items.length) this.grow();
      this.head = (this.head - 1 + this.items.length) % this.items.length;
      const item = batch[i] as T;
      const bytes = sizeOf(item);
      this.items[this.head] = item;
      this.sizes[this.head] = bytes;
      this.count++;
      this.totalBytes += bytes;
    }
    while (this.totalBytes > this.maxBytes && this.count > 1) {
      this.dropOldest();
      evicted++;
    }
    return evicted;
  }

  /** Evicts the oldest item (the spool's byte bound asks for it); false when empty. */
  evictOldest(): boolean {
    if (this.count === 0) return false;
    this.dropOldest();
    return true;
  }

  private dropOldest(): void {
    if (this.onEvict !== undefined) this.onEvict(this.items[this.head] as T);
    this.items[this.head] = undefined;
    this.totalBytes -= this.sizes[this.head] as number;
    this.head = (this.head + 1) % this.items.length;
    this.count--;
  }

  /** Doubles the ring (up to the item limit), unrolling it so the head is slot 0. */
  private grow(): void {
    const capacity = Math.min(this.maxItems, this.items.length * 2);
    const items = new Array<T | undefined>(capacity);
    const sizes = new Uint32Array(capacity);
    for (let i = 0; i < this.count; i++) {
      const slot = (this.head + i) % this.items.length;
      items[i] = this.items[slot];
      sizes[i] = this.sizes[slot] as number;
    }
    this.items = items;
    this.sizes = sizes;
    this.head = 0;
  }
}
