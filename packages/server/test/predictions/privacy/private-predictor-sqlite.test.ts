import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe } from "vitest";
import { openStorage } from "../../../src/storage/open-storage.js";
import { privatePredictorCases } from "./private-predictor-cases.js";

describe("private predictor over a real SQLite file", () => {
  privatePredictorCases("sqlite", async () => {
    const dir = mkdtempSync(join(tmpdir(), "mosaic-private-predictor-"));
    const storage = await openStorage({ engine: "sqlite", path: join(dir, "telemetry.db") });
    return {
      storage,
      store: storage,
      dispose: async () => {
        await storage.close();
        rmSync(dir, { recursive: true, force: true });
      },
    };
  });
});
