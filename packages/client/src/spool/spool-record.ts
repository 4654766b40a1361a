import { spoolChecksum } from "./spool-checksum.js";
import { MAX_ENCODED_EVENT_BYTES, encodeEventValues } from "./spool-event-codec.js";

/*
 * The spool's record format: one line of UTF-8 per record, so after any damage a reader finds
 * the next record at the next newline (JSON.stringify never emits a raw newline).
 *
 *   <checksum> E [<values of the event>]\n           an event `track()` accepted, compact
 *   <checksum> A ["<event id>",<event JSON>]\n    the same, for an event the compact form declines
 *   <checksum> D ["<event id>","<event id>",...]\n  these events left the client for good
 *
 * The compact form (spool-event-codec.ts) is the values of schema 1.0's fields in the
 * protocol's order, the event id first; it is what track() writes for every event it built.
 *
 * <checksum> is 8 lowercase hex digits of spoolChecksum over the bytes after it and its space
 * ("A [...]" without the newline). The id sits in the JSON array beside the event, so one
 * JSON.stringify per append escapes both, whatever characters an id holds, and the spool never
 * has to know which field of the event is its id.
 */

/** Bytes before a record's kind: 8 hex digits and a space. */
export const CHECKSUM_PREFIX = 9;
/** Bytes before a record's payload: the checksum prefix, the kind and a space. */
export const PAYLOAD_OFFSET = 11;
export const KIND_ADD = 0x41; // "A"
export const KIND_EVENT = 0x45; // "E"
export const KIND_REMOVE = 0x44; // "D"
export const NEWLINE = 0x0a;
const SPACE = 0x20;
const HEX_DIGITS = Buffer.from("0123456789abcdef", "latin1");

/** One chunk of the turn's records: room for a few hundred compact records. */
const CHUNK_BYTES = 64 * 1024;
/** Chunks kept for the next turns after a write; a burst's other chunks are dropped. */
const KEPT_CHUNKS = 16;

/**
 * The records of one event-loop turn, encoded straight into fixed-size byte chunks: the
 * checksum is computed over the bytes the file will get, the exact size of every record is
 * known without Buffer.byteLength, and the turn ends with one writev(2) of the chunks. A record
 * never spans two chunks. Chunks, not one buffer that
 * doubles: a burst of 10,000 events spent a tenth of its encoding time copying a growing
 * buffer; written chunks are kept and reused, so a steady stream touches no new memory.
 */
export class RecordBuffer {
  private current: Buffer = Buffer.allocUnsafe(CHUNK_BYTES);
  /** A DataView over `current`, for the checksum's word reads. */
  private words = new DataView(this.current.buffer, this.current.byteOffset, this.current.byteLength);
  private used = 0;
  /** The full chunks of this turn, each cut to its records. */
  private readonly filled: Buffer[] = [];
  private filledBytes = 0;
  /** Written chunks, for reuse. */
  private readonly spare: Buffer[] = [];

  /** Bytes waiting to be written. */
  get length(): number {
    return this.filledBytes + this.used;
  }

  /**
   * Encodes an add record, compact when the event fits the compact form under this id; returns
   * its size in bytes. Throws (and adds nothing) when JSON.stringify of another event throws.
   */
  add(eventId: string, event: object): number {
    if ((event as { event_id?: unknown }).event_id === eventId) {
      this.reserve(PAYLOAD_OFFSET + MAX_ENCODED_EVENT_BYTES + 1);
      const start = this.used;
      const end = encodeEventValues(this.current, start + PAYLOAD_OFFSET, event as Record<string, unknown>);
      if (end !== -1) return this.seal(KIND_EVENT, start, end);
    }
    return this.push(KIND_ADD, JSON.stringify([eventId, event]));
  }

  /** Encodes a remove record; returns its size in bytes. */
  remove(eventIds: readonly string[]): number {
    return this.push(KIND_REMOVE, JSON.stringify(eventIds));
  }

  /** The encoded bytes, in order, as the chunks to write; valid until the next call that changes the buffer. */
  chunks(): Buffer[] {
    return this.used === 0 ? this.filled.slice() : [...this.filled, this.current.subarray(0, this.used)];
  }

  /** The encoded bytes as one copy (for tests and tools; the spool writes chunks()). */
  view(): Buffer {
    return Buffer.concat(this.chunks());
  }

  clear(): void {
    for (const chunk of this.filled) {
      // A chunk grown for one big record is not kept.
      if (this.spare.length < KEPT_CHUNKS && chunk.buffer.byteLength === CHUNK_BYTES) this.spare.push(Buffer.from(chunk.buffer, chunk.byteOffset, CHUNK_BYTES));
    }
    this.filled.length = 0;
    this.filledBytes = 0;
    this.used = 0;
    if (this.current.length !== CHUNK_BYTES) this.replace(this.spare.pop() ?? Buffer.allocUnsafe(CHUNK_BYTES));
  }

  private push(kind: number, payload: string): number {
    // A UTF-16 code unit takes at most 3 bytes of UTF-8 (a surrogate pair: 4 bytes for 2 units).
    this.reserve(PAYLOAD_OFFSET + payload.length * 3 + 1);
    const start = this.used;
    const end = start + PAYLOAD_OFFSET + this.current.write(payload, start + PAYLOAD_OFFSET, "utf8");
    return this.seal(kind, start, end);
  }

  /** Completes the record whose payload was written at `start + PAYLOAD_OFFSET` up to `end`: kind, checksum, newline. */
  private seal(kind: number, start: number, end: number): number {
    const bytes = this.current;
    bytes[start + CHECKSUM_PREFIX - 1] = SPACE;
    bytes[start + CHECKSUM_PREFIX] = kind;
    bytes[start + CHECKSUM_PREFIX + 1] = SPACE;
    let sum = spoolChecksum(bytes, start + CHECKSUM_PREFIX, end, this.words);
    for (let i = start + 7; i >= start; i--) {
      bytes[i] = HEX_DIGITS[sum & 15] as number;
      sum >>>= 4;
    }
    bytes[end] = NEWLINE;
    this.used = end + 1;
    return end + 1 - start;
  }

  /** Makes room for `extra` bytes in the current chunk, starting a new one when they do not fit. */
  private reserve(extra: number): void {
    if (this.used + extra <= this.current.length) return;
    if (this.used > 0) {
      this.filled.push(this.current.subarray(0, this.used));
      this.filledBytes += this.used;
    } else if (this.current.length === CHUNK_BYTES) {
      this.spare.push(this.current);
    }
    this.used = 0;
    this.replace(extra <= CHUNK_BYTES ? (this.spare.pop() ?? Buffer.allocUnsafe(CHUNK_BYTES)) : Buffer.allocUnsafe(extra));
  }

  private replace(bytes: Buffer): void {
    this.current = bytes;
    this.words = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }
}
