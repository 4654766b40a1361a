import { afterAll, describe, expect, it } from "vitest";
import { ENGINES, freshDatabase, type EngineDatabase } from "../helpers/engines.js";
import { runScenario } from "./storage-scenario.js";

const skipped = ENGINES.filter((engine) => engine.skip !== null);
const title = `both engines give the same aggregates and the same seeded snapshots${skipped.length > 0 ? ` (skipped: ${skipped.map((engine) => engine.skip).join("; ")})` : ""}`;

describe.skipIf(skipped.length > 0)(title, () => {
  const databases: EngineDatabase[] = [];
  afterAll(async () => {
    await Promise.all(databases.map((database) => database.drop()));
  });

  it("answers one workload identically: statuses, every (group, instance) aggregate, own rows, crowd and own predictions, usage, keys", async () => {
    const results: unknown[] = [];
    for (const engine of ENGINES) {
      const database = await freshDatabase(engine.name, "agree");
      databases.push(database);
      const storage = await database.open();
      try {
        results.push(await runScenario(storage));
      } finally {
        await storage.close();
      }
    }
    const [sqlite, postgres] = results;
    expect(postgres).toEqual(sqlite);
    expect(JSON.stringify(sqlite)).toContain("DROP TABLE events"); // the scenario did reach the odd model
    expect(JSON.stringify(sqlite)).toContain('"source":"crowd"'); // and a crowd level answered
  });
});
