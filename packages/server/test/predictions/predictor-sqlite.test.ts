import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe } from "vitest";
import { openStorage } from "../../src/storage/open-storage.js";
import { predictorCases } from "./predictor-cases.js";

describe("predictor over real SQLite storage", () => {
  predictorCases(async () => {
    const dir = mkdtempSync(join(tmpdir(), "mosaic-predictions-"));
    const storage = await openStorage({ engine: "sqlite", path: join(dir, "telemetry.db") });
    return {
      storage,
      dispose: async () => {
        await storage.close();
        rmSync(dir, { recursive: true, force: true });
      },
    };
  });
});
