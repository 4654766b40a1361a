import { describe } from "vitest";
import { openStorage } from "../../../src/storage/open-storage.js";
import { createTestSchema } from "../../helpers/postgres-schema.js";
import { privatePredictorCases } from "./private-predictor-cases.js";

const url = process.env.MOSAIC_TEST_DATABASE_URL;
if (!url) console.warn("private-predictor-postgres.test.ts: MOSAIC_TEST_DATABASE_URL is unset, private predictor tests over PostgreSQL are skipped");

describe.skipIf(!url)(`private predictor over real PostgreSQL storage${url ? "" : " (skipped: set MOSAIC_TEST_DATABASE_URL to run)"}`, () => {
  privatePredictorCases("postgres", async () => {
    const schema = await createTestSchema(url as string, "pp");
    const storage = await openStorage({ engine: "postgres", url: schema.url }, { poolSize: 2 });
    return {
      storage,
      store: storage,
      dispose: async () => {
        await storage.close();
        await schema.drop();
      },
    };
  });
});
