/** Small numeric helpers shared by the benches. */
import { setImmediate } from "node:timers";

/** The median of a non-empty list (the mean of the middle two for an even count). */
export function median(values) {
  if (values.length === 0) throw new Error("median of an empty list");
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/** Nanoseconds elapsed since `start` (a process.hrtime.bigint() reading), as a number. */
export function nsSince(start) {
  return Number(process.hrtime.bigint() - start);
}

/** Resolves after the current macrotask, once every pending microtask has run. */
export function nextMacrotask() {
  return new Promise((resolve) => setImmediate(resolve));
}

/** Integer value of `--name <n>` on the command line, or `fallback`. */
export function intArg(name, fallback) {
  const index = process.argv.indexOf(`--${name}`);
  if (index < 0) return fallback;
  const value = Number(process.argv[index + 1]);
  if (!Number.isInteger(value) || value <= 0) {
    console.error(`--${name} must be a positive integer`);
    process.exit(2);
  }
  return value;
}

/** String value of `--name <s>` on the command line, or `fallback`. */
export function stringArg(name, fallback) {
  const index = process.argv.indexOf(`--${name}`);
  return index < 0 ? fallback : process.argv[index + 1] ?? fallback;
}

/**
 * Yields macrotasks until `subject.processed()` reaches `count`, so work a library defers to
 * promise or timer callbacks is finished (and, inside a timed region, paid for).
 * Gives up after `limitMs` and returns false.
 */
export async function settle(subject, count, limitMs = 30_000) {
  const deadline = Date.now() + limitMs;
  await nextMacrotask();
  while (!(subject.processed() >= count)) {
    if (Date.now() > deadline) return false;
    await nextMacrotask();
  }
  return true;
}
