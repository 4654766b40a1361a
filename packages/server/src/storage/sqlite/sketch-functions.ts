import { sketchBlobOfBins } from "./dense-sketch.js";
import { addSparseSketches } from "./sparse-sketch.js";
import type { SqliteDatabase } from "./sqlite-driver.js";

/**
 * The SQL functions over sketches that the SQLite engine's statements and
 * migrations call; registered on each connection that writes sketches.
 *
 * - `sketch_add(stored, added)`: the sum of two sparse sketch blobs (sparse-sketch.ts). An ingest
 *   upserts each touched (group, instance) once per transaction with
 *   `sketch = sketch_add(sketch, excluded.sketch)`, so the merge happens under the write lock, in
 *   the statement, with no read before the write.
 * - `sketch_of_bins(bin, count)`: the aggregate that builds a dense sketch blob (dense-sketch.ts)
 *   from bin rows: migration 2 on a database from before it (its table goes at migration 6).
 */
export function registerSketchFunctions(db: SqliteDatabase): void {
  db.function("sketch_add", { deterministic: true }, (stored: Uint8Array, added: Uint8Array) => addSparseSketches(stored, added));
  db.aggregate<[number, number][]>("sketch_of_bins", {
    deterministic: true,
    start: () => [],
    step: (pairs, bin: number, count: number) => {
      pairs.push([bin, count]);
    },
    result: (pairs) => sketchBlobOfBins(pairs),
  });
}
