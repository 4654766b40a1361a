/*
 * Writes buffered records when the process exits on purpose. The per-turn write runs in a
 * microtask, and process.exit() called in the turn that tracked ends the process before any
 * microtask runs; Node calls 'exit' listeners synchronously first. One listener for all open
 * spools, so opening many never trips the max-listeners warning.
 */

interface Flushable {
  flushWrites(): void;
}

const open = new Set<Flushable>();

function flushAll(): void {
  for (const spool of open) spool.flushWrites();
}

export function flushAtExit(spool: Flushable): void {
  if (open.size === 0) process.on("exit", flushAll);
  open.add(spool);
}

export function forgetAtExit(spool: Flushable): void {
  if (open.delete(spool) && open.size === 0) process.off("exit", flushAll);
}
