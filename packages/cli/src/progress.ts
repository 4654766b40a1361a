import type { Io } from "./io.js";

/** A one-line progress bar on stderr, only on a terminal, redrawn at most every 100 ms. */
export function progressBar(io: Io, label: string, total: number): { tick(done: number): void; end(): void } {
  if (!io.stderrIsTTY || total === 0) return { tick() {}, end() {} };
  let last = 0;
  const draw = (done: number): void => {
    const width = 30;
    const filled = Math.round((done / total) * width);
    io.stderr(`\r${label} [${"#".repeat(filled)}${" ".repeat(width - filled)}] ${done}/${total}`);
  };
  return {
    tick(done) {
      const now = io.now();
      if (now - last < 100 && done < total) return;
      last = now;
      draw(done);
    },
    end() {
      draw(total);
      io.stderr("\n");
    },
  };
}
