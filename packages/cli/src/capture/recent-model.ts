import { closeSync, fstatSync, openSync, readSync, readdirSync, statSync } from "node:fs";
import { dirname, join } from "node:path";

/** How much of a transcript's end is read to find its model: the last requests are there. */
const TAIL_BYTES = 256 * 1024;

/**
 * The model of the project's most recent other session: what SessionStart asks a prediction for
 * when Claude Code does not name the model (docs/capture.md). Reads only the newest transcript's
 * tail; null when there is none or it names no model.
 */
export function recentModel(transcriptPath: string): string | null {
  const folder = dirname(transcriptPath);
  let newest: { path: string; mtime: number } | null = null;
  try {
    for (const name of readdirSync(folder)) {
      const path = join(folder, name);
      if (!name.endsWith(".jsonl") || path === transcriptPath) continue;
      const mtime = statSync(path).mtimeMs;
      if (newest === null || mtime > newest.mtime) newest = { path, mtime };
    }
    if (newest === null) return null;
    const fd = openSync(newest.path, "r");
    try {
      const size = fstatSync(fd).size;
      const length = Math.min(size, TAIL_BYTES);
      const buffer = Buffer.alloc(length);
      readSync(fd, buffer, 0, length, size - length);
      const models = [...buffer.toString("utf8").matchAll(/"model":"([^"<][^"]{0,99})"/g)].map((m) => m[1] as string);
      return models.at(-1) ?? null;
    } finally {
      closeSync(fd);
    }
  } catch {
    return null;
  }
}
