/**
 * UUIDv7 event ids (RFC 9562 §5.7): 48 bits of Unix milliseconds, the version 7, a 12-bit
 * sequence within the millisecond (§6.2, method 1: a fixed-length counter), then 62 random bits.
 * One builder's ids sort in the order it made them, so the server's dedup index (instance,
 * event_id) grows at its end instead of at a random page per event: random v4 ids made the
 * server's SQLite ingest three times slower (docs/benchmarks/server-ingest.md). api-v1 asks only for
 * "a UUID, made by the client"; the time in the id is the build time, which the event's
 * timestamp already says.
 *
 * The random bits come from randomUUID() (Node's fast, batched CSPRNG) rather than from random
 * bytes formatted by hand: a v4 UUID's last 18 characters ("-yxxx-xxxxxxxxxxxx": the RFC variant
 * and 62 random bits) are exactly v7's variant and rand_b.
 */

const MS_SPAN = 2 ** 48;

/** The first 15 characters of a UUIDv7 made at `ms`: "tttttttt-tttt-7". */
export function uuidV7Prefix(ms: number): string {
  // 48 bits hold Unix milliseconds until the year 10889; a clock before 1970 is stamped as 1970.
  const hex = (ms >= 0 ? Math.trunc(ms) % MS_SPAN : 0).toString(16).padStart(12, "0");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-7`;
}

/**
 * A UUIDv7 from its millisecond's prefix (uuidV7Prefix), the id's sequence number within that
 * millisecond (from 0; past 4,095 it wraps: the id stays unique by its random bits, only its
 * order within that millisecond is lost) and a fresh v4 UUID's random tail.
 */
export function uuidV7(prefix: string, sequence: number, v4: string): string {
  return prefix + (sequence & 0xfff).toString(16).padStart(3, "0") + v4.slice(18);
}
