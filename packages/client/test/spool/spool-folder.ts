import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach } from "vitest";
import { Spool } from "../../src/spool/spool.js";
import type { SpoolOptions, SpoolRecovery } from "../../src/spool/spool.js";

/** A fresh folder per test, removed after it; the spools a test opened are closed first. */
export function useSpoolFolder(): { dir: () => string; open: (options?: Partial<SpoolOptions>) => { spool: Spool; recovered: SpoolRecovery }; failures: Error[] } {
  let dir = "";
  const opened: Spool[] = [];
  const failures: Error[] = [];
  afterEach(async () => {
    await Promise.all(opened.splice(0).map((spool) => spool.close()));
    if (dir !== "") rmSync(dir, { recursive: true, force: true });
    dir = "";
    failures.length = 0;
  });
  const folder = (): string => (dir ||= mkdtempSync(join(tmpdir(), "mosaic-spool-")));
  return {
    dir: folder,
    failures,
    open: (options = {}) => {
      const result = Spool.open({ dir: folder(), syncIntervalMs: 60_000, onFailure: (error) => failures.push(error), ...options });
      opened.push(result.spool);
      return result;
    },
  };
}
