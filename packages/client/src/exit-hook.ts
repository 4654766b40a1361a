/**
 * One `beforeExit` listener for every client of the process (a listener per client would trip
 * Node's MaxListeners warning past ten clients). `beforeExit` fires when the event loop has
 * emptied: a script that tracked and ended without stop(). It does not fire on process.exit()
 * or a fatal signal; the spool covers those (it writes what a turn buffered on `exit`).
 *
 * The clients are told on the next tick, after every `beforeExit` listener of the app has run
 * (ours was registered first, when the first client was made): an event a handler of the app
 * tracks there is then sent too. They are held by weak references, so a client that is dropped
 * without stop() can still be collected.
 */
interface ProcessEndListener {
  onProcessEnd(): void;
}

const waiting = new Set<WeakRef<ProcessEndListener>>();

function onBeforeExit(): void {
  process.nextTick(() => {
    for (const ref of [...waiting]) {
      const listener = ref.deref();
      if (listener === undefined) {
        waiting.delete(ref);
        continue;
      }
      try {
        listener.onProcessEnd();
      } catch {
        // One client's failure must not keep the others from their turn, nor reach the process.
      }
    }
  });
}

/** Calls `listener.onProcessEnd()` when the event loop empties; the returned function unregisters it. */
export function onProcessEnd(listener: ProcessEndListener): () => void {
  if (typeof process === "undefined" || typeof process.on !== "function") return () => {};
  if (waiting.size === 0) process.on("beforeExit", onBeforeExit);
  const ref = new WeakRef(listener);
  waiting.add(ref);
  return () => {
    waiting.delete(ref);
    if (waiting.size === 0) process.off("beforeExit", onBeforeExit);
  };
}
