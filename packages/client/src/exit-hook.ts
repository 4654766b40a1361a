/**
 * One `beforeExit` listener for every client of the process (a listener per client would trip
 * Node's MaxListeners warning past ten clients). `beforeExit` fires when the event loop has
 * emptied: a script that tracked and ended without stop(). It does not fire on process.exit()
 * or a fatal signal; the spool covers those (it writes what a turn buffered on `exit`).
 */
const waiting = new Set<() => void>();

function onBeforeExit(): void {
  for (const callback of [...waiting]) {
    try {
      callback();
    } catch {
      // One client's failure must not keep the others from their turn, nor reach the process.
    }
  }
}

/** Calls `callback` when the event loop empties; the returned function unregisters it. */
export function onProcessEnd(callback: () => void): () => void {
  if (typeof process === "undefined" || typeof process.on !== "function") return () => {};
  if (waiting.size === 0) process.on("beforeExit", onBeforeExit);
  waiting.add(callback);
  return () => {
    waiting.delete(callback);
    if (waiting.size === 0) process.off("beforeExit", onBeforeExit);
  };
}
