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

/** Room for one turn of appends at the usual rate without growing. */
const INITIAL_BYTES = 64 * 1024;
/** A buffer that grew past this (a burst, a recovery) is dropped after its write, not kept for good. */
const KEPT_BYTES = 1024 * 1024;

/**
 * The records of one event-loop turn, encoded straight into one growable byte buffer: the
 * checksum is computed over the bytes the file will get, the exact size of every record is
 * known without Buffer.byteLength, and the turn ends with a single write of the whole buffer.
 */
export class RecordBuffer {
  private bytes: Buffer = Buffer.allocUnsafe(INITIAL_BYTES);
  /** A DataView over `bytes`, for the checksum's word reads. */
  private words = new DataView(this.bytes.buffer, this.bytes.byteOffset, this.bytes.byteLength);
  private used = 0;

  /** Bytes waiting to be written. */
  get length(): number {
    return this.used;
  }

  /**
   * Encodes an add record, compact when the event fits the compact form under this id; returns
   * its size in bytes. Throws (and adds nothing) when JSON.stringify of another event throws.
   */
  add(eventId: string, event: object): number {
    if ((event as { event_id?: unknown }).event_id === eventId) {
      this.reserve(PAYLOAD_OFFSET + MAX_ENCODED_EVENT_BYTES + 1);
      const start = this.used;
      const end = encodeEventValues(this.bytes, start + PAYLOAD_OFFSET, event as Record<string, unknown>);
      if (end !== -1) return this.seal(KIND_EVENT, start, end);
    }
    return this.push(KIND_ADD, JSON.stringify([eventId, event]));
  }

  /** Encodes a remove record; returns its size in bytes. */
  remove(eventIds: readonly string[]): number {
    return this.push(KIND_REMOVE, JSON.stringify(eventIds));
  }

  /** Appends already encoded records (lines read back from a file). */
  raw(lines: Uint8Array): number {
    this.reserve(lines.length);
    this.bytes.set(lines, this.used);
    this.used += lines.length;
    return lines.length;
  }

  /** The encoded bytes; valid until the next call that changes the buffer. */
  view(): Buffer {
    return this.bytes.subarray(0, this.used);
  }

  clear(): void {
    this.used = 0;
    if (this.bytes.length > KEPT_BYTES) this.replace(Buffer.allocUnsafe(INITIAL_BYTES));
  }

  private push(kind: number, payload: string): number {
    // A UTF-16 code unit takes at most 3 bytes of UTF-8 (a surrogate pair: 4 bytes for 2 units).
    this.reserve(PAYLOAD_OFFSET + payload.length * 3 + 1);
    const start = this.used;
    const end = start + PAYLOAD_OFFSET + this.bytes.write(payload, start + PAYLOAD_OFFSET, "utf8");
    return this.seal(kind, start, end);
  }

  /** Completes the record whose payload was written at `start + PAYLOAD_OFFSET` up to `end`: kind, checksum, newline. */
  private seal(kind: number, start: number, end: number): number {
    const bytes = this.bytes;
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

  private reserve(extra: number): void {
    if (this.used + extra <= this.bytes.length) return;
    const grown = Buffer.allocUnsafe(Math.max(this.bytes.length * 2, this.used + extra));
    this.bytes.copy(grown, 0, 0, this.used);
    this.replace(grown);
  }

  private replace(bytes: Buffer): void {
    this.bytes = bytes;
    this.words = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }
}
