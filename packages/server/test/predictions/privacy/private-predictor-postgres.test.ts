import { describe } from "vitest";
import { POSTGRES, engineTitle, freshDatabase } from "../../helpers/engines.js";
import { privatePredictorCases } from "./private-predictor-cases.js";

if (POSTGRES.skip) console.warn(`private-predictor-postgres.test.ts: ${POSTGRES.skip}, private predictor tests over PostgreSQL are skipped`);

describe.skipIf(POSTGRES.skip !== null)(engineTitle(POSTGRES, "private predictor over real PostgreSQL storage"), () => {
  privatePredictorCases("postgres", async () => {
    const database = await freshDatabase("postgres", "pp");
    const storage = await database.open({ poolSize: 2 });
    return {
      storage,
      store: storage,
      dispose: async () => {
        await storage.close();
        await database.drop();
      },
    };
  });
});
