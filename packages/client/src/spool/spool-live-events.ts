/**
 * The records in the spool whose events have not left the client yet, with their bytes on
 * disk: what `liveBytes` reports and the client's byte bound applies to. One entry per add
 * record, in the order they were appended; a delete takes the oldest live entry of its id (an
 * event tracked twice is queued, sent and settled twice, one entry each time).
 *
 * Why a log and not a Map keyed by id: events leave in the order they came (one batch in flight
 * at a time, taken from the front of the queue; evictions take the oldest), so the entry a
 * delete asks for is nearly always the first live one, found with one comparison of the very
 * string that was appended. A Map insert per append (hashing a fresh 36-character id, growing
 * the table) was the largest single cost the spool added to track(). A delete that is not near
 * the front (an eviction while a batch is in flight, an unknown id) builds an index of the
 * entries' positions once; it is then kept up to date until nothing is live.
 */
export class LiveEvents {
  /** Entry ids by position (the position minus `dropped`); undefined once deleted. */
  private ids: (string | undefined)[] = [];
  private sizes: number[] = [];
  /** Entries removed from the front of the arrays; positions stay valid across that. */
  private dropped = 0;
  /** The index (in the arrays) of the first entry that may be live. */
  private head = 0;
  private live = 0;
  private total = 0;
  /** Positions of the live entries by id, oldest first; null until a delete needs it. */
  private index: Map<string, number | number[]> | null = null;

  get count(): number {
    return this.live;
  }

  get bytes(): number {
    return this.total;
  }

  has(id: string): boolean {
    return this.indexed().has(id);
  }

  add(id: string, bytes: number): void {
    const position = this.dropped + this.ids.length;
    this.ids.push(id);
    this.sizes.push(bytes);
    this.live++;
    this.total += bytes;
    if (this.index !== null) addPosition(this.index, id, position);
  }

  /** Forgets the oldest live entry of `id`; false when it has none. */
  delete(id: string): boolean {
    const at = this.index === null ? this.scan(id) : this.lookUp(id);
    if (at === -1) return false;
    this.ids[at] = undefined;
    this.total -= this.sizes[at] as number;
    this.live--;
    this.advance();
    return true;
  }

  clear(): void {
    this.ids = [];
    this.sizes = [];
    this.dropped = 0;
    this.head = 0;
    this.live = 0;
    this.total = 0;
    this.index = null;
  }

  /** The array index of `id`'s oldest live entry among the first few; builds the index past them. */
  private scan(id: string): number {
    const ids = this.ids;
    const end = Math.min(ids.length, this.head + SCAN_LIMIT);
    for (let i = this.head; i < end; i++) if (ids[i] === id) return i;
    if (end === ids.length) return -1; // every entry was looked at
    return this.lookUp(id);
  }

  private lookUp(id: string): number {
    const index = this.indexed();
    const positions = index.get(id);
    if (positions === undefined) return -1;
    let position: number;
    if (typeof positions === "number") {
      position = positions;
      index.delete(id);
    } else {
      position = positions.shift() as number;
      if (positions.length === 1) index.set(id, positions[0] as number);
    }
    return position - this.dropped;
  }

  private indexed(): Map<string, number | number[]> {
    if (this.index !== null) return this.index;
    const index = new Map<string, number | number[]>();
    for (let i = this.head; i < this.ids.length; i++) {
      const id = this.ids[i];
      if (id !== undefined) addPosition(index, id, this.dropped + i);
    }
    this.index = index;
    return index;
  }

  /** Moves the head past deleted entries; drops them from the arrays once they are most of them. */
  private advance(): void {
    if (this.live === 0) {
      this.clear();
      return;
    }
    const ids = this.ids;
    while (ids[this.head] === undefined) this.head++;
    if (this.head >= COMPACT_MIN && this.head * 2 >= ids.length) {
      this.ids = ids.slice(this.head);
      this.sizes = this.sizes.slice(this.head);
      this.dropped += this.head;
      this.head = 0;
    }
  }
}

/** Entries a delete looks at from the front before it builds the index: more than a batch or two. */
const SCAN_LIMIT = 1024;
/** Deleted entries at the front kept before the arrays are cut (each cut copies the rest). */
const COMPACT_MIN = 4096;

function addPosition(index: Map<string, number | number[]>, id: string, position: number): void {
  const known = index.get(id);
  if (known === undefined) index.set(id, position);
  else if (typeof known === "number") index.set(id, [known, position]);
  else known.push(position);
}
