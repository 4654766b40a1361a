import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { groupKey } from "../../src/aggregation/group-key.js";
import { quantileFromBins } from "../../src/predictions/quantiles.js";
import { ZERO_BIN, binValue } from "../../src/aggregation/sketch-mapping.js";
import { ENGINES, engineTitle, freshDatabase, type EngineDatabase } from "../helpers/engines.js";
import { SKETCH_METRICS } from "../../src/aggregation/sketch-metrics.js";
import { type Storage } from "../../src/storage/storage.js";
import { logNormalInt, seededRandom } from "../predictions/seeded-random.js";
import { makeEvent, seedInstance } from "./storage-fixtures.js";
import { toStore } from "../helpers/events-to-store.js";

/**
 * The contract of the two reads the predictor answers from (readGroupSummaries, readQuantileBins),
 * on every engine: they must say exactly what readGroups and quantileFromBins say over the whole
 * sketch, without handing the sketch over.
 */

const RECEIVED = new Date("2026-11-28T12:00:00.000Z");
const DIMS = { provider: "anthropic", model: "claude-sonnet-4-5", task_type: "implementation", complexity: "medium" } as const;
/** Every reported quantile, both ends, and ranks whose q * (n - 1) lands a hair off an integer in doubles. */
const QUANTILES = [0, 0.1, 0.25, 0.5, 0.7, 0.75, 0.9, 0.99, 1];
/** Group sizes: one value, two, and sizes where 0.1 * (n - 1) or 0.7 * (n - 1) is not exact in doubles. */
const SIZES = [1, 2, 11, 31, 101, 257];

/** Seeds one group per size (model `size-<n>`) with heavy-tailed values, zeros among the output tokens. */
async function seedSizes(storage: Storage): Promise<string[]> {
  const random = seededRandom(42);
  const instances = await Promise.all([0, 1, 2].map((i) => seedInstance(storage, `reads ${i}`)));
  const keys: string[] = [];
  for (const size of SIZES) {
    const model = `size-${size}`;
    const byInstance = instances.map(() => [] as ReturnType<typeof makeEvent>[]);
    for (let i = 0; i < size; i += 1) {
      const owner = i % instances.length;
      const input = logNormalInt(random, 150_000, 1.2);
      byInstance[owner]?.push(
        makeEvent(instances[owner]!.instance.id, {
          ...DIMS,
          model,
          actual_input_tokens: input,
          estimated_input_tokens: input,
          actual_output_tokens: random() < 0.2 ? 0 : logNormalInt(random, 40_000, 1),
          actual_cost_usd_micros: logNormalInt(random, 1_000_000, 1.1),
          task_duration_ms: logNormalInt(random, 600_000, 1),
        }),
      );
    }
    for (const [i, events] of byInstance.entries()) if (events.length > 0) await storage.ingestEvents(instances[i]!.instance.id, toStore(events), RECEIVED);
    keys.push(groupKey({ ...DIMS, model }, 0));
  }
  return keys;
}

function groupReadsContract(open: () => Promise<Storage>): void {
  let storage: Storage;
  let keys: string[];
  beforeAll(async () => {
    storage = await open();
    keys = await seedSizes(storage);
  });
  afterAll(async () => {
    await storage.close();
  });

  it("readGroupSummaries returns readGroups' summaries without bins, only for groups that exist", async () => {
    const asked = [...keys, groupKey({ ...DIMS, model: "size-1" }, 1), groupKey(DIMS, 3), '["nobody"]'];
    const summaries = await storage.readGroupSummaries(asked);
    const full = await storage.readGroups(asked);
    expect([...summaries.keys()].sort()).toEqual([...full.keys()].sort());
    expect(summaries.has('["nobody"]')).toBe(false);
    for (const [key, group] of full) {
      const { bins, ...summary } = group;
      void bins;
      expect(summaries.get(key)).toEqual(summary);
      expect(summaries.get(key)).not.toHaveProperty("bins");
    }
    expect(summaries.get(groupKey(DIMS, 3))?.events).toBe(SIZES.reduce((a, b) => a + b, 0));
    expect(await storage.readGroupSummaries([])).toEqual(new Map());
  });

  it("readQuantileBins gives, per metric, the bin quantileFromBins finds over the whole sketch", async () => {
    const asked = [...keys, groupKey({ ...DIMS, model: "size-257" }, 2), groupKey(DIMS, 3)];
    const located = await storage.readQuantileBins(asked, QUANTILES);
    const full = await storage.readGroups(asked);
    expect([...located.keys()].sort()).toEqual([...full.keys()].sort());
    let compared = 0;
    for (const [key, group] of full) {
      for (const metric of SKETCH_METRICS) {
        const expected = QUANTILES.map((q) => quantileFromBins(group.bins[metric], q));
        const answered = (located.get(key)?.[metric] ?? []).map((bin) => (bin === null ? null : binValue(bin)));
        expect(answered, `${key} ${metric}`).toEqual(expected);
        compared += QUANTILES.length;
      }
    }
    expect(compared).toBe(asked.length * SKETCH_METRICS.length * QUANTILES.length);
    // Zeros have a bin of their own, and with 20 % zeros the 10th percentile of output tokens is one.
    expect(located.get(groupKey(DIMS, 3))?.output_tokens[1]).toBe(ZERO_BIN);
  });

  it("readQuantileBins returns only the groups asked that exist, in the order of the quantiles asked", async () => {
    const key = groupKey({ ...DIMS, model: "size-101" }, 0);
    const forward = await storage.readQuantileBins([key, '["nobody"]'], [0.1, 0.9]);
    const backward = await storage.readQuantileBins([key], [0.9, 0.1]);
    expect([...forward.keys()]).toEqual([key]);
    for (const metric of SKETCH_METRICS) {
      expect(backward.get(key)?.[metric]).toEqual([...(forward.get(key)?.[metric] ?? [])].reverse());
      const [low, high] = forward.get(key)?.[metric] ?? [];
      expect(low).not.toBeNull();
      expect(high as number).toBeGreaterThanOrEqual(low as number);
    }
    expect(await storage.readQuantileBins([], [0.5])).toEqual(new Map());
    expect(await storage.readQuantileBins(['["nobody"]'], [0.5])).toEqual(new Map());
  });
}

for (const engine of ENGINES) {
  describe.skipIf(engine.skip !== null)(engineTitle(engine, `group reads over ${engine.name}`), () => {
    let database: EngineDatabase | undefined;
    afterAll(async () => {
      await database?.drop();
    });
    groupReadsContract(async () => {
      database = await freshDatabase(engine.name, "reads");
      return database.open({ poolSize: 2 });
    });
  });
}
