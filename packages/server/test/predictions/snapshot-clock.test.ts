import type { PredictionQuery, PredictionResponse } from "@mosaicstack/telemetry-protocol";
import { afterEach, describe, expect, it, vi } from "vitest";
import { groupKey } from "../../src/aggregation/group-key.js";
import { createPredictor, type Predictor } from "../../src/predictions/predictor.js";
import type { Storage } from "../../src/storage/storage.js";
import { ENGINES, engineTitle, freshDatabase, type EngineDatabase } from "../helpers/engines.js";
import { BASE_QUERY, seedGroup } from "./predictor-seed.js";
import { seededSnapshotNoise } from "../helpers/seeded-noise.js";

const INTERVAL = 3_600_000;
const SETTINGS = { minEvents: 10, minContributors: 5, snapshotIntervalMs: INTERVAL };
const OTHER_QUERY: PredictionQuery = { ...BASE_QUERY, provider: "openai", model: "gpt-5" };
const THIRD_QUERY: PredictionQuery = { ...BASE_QUERY, provider: "google", model: "gemini-2.5-pro" };

/** A snapshot time as answers carry it (whole seconds). */
const published = (ms: number): string => new Date(Math.floor(ms / 1000) * 1000).toISOString();
const lastUpdated = (answer: PredictionResponse | undefined): number => Date.parse(answer?.metadata.last_updated ?? "");

/**
 * Snapshot times without a test clock (production): the store's clock decides when a snapshot was
 * computed and when it is stale, so a process whose host clock is off neither stores a second
 * snapshot of a group within its interval nor keeps serving one past it on PostgreSQL. On SQLite
 * the store's clock is the host's (one file, one host), so there the host's decides.
 */
for (const engine of ENGINES) {
  const postgres = engine.name === "postgres";
  describe.skipIf(engine.skip !== null)(engineTitle(engine, `snapshot times from the store's clock: ${engine.name}`), () => {
    const cleanup: (() => Promise<void>)[] = [];
    afterEach(async () => {
      vi.useRealTimers();
      for (const step of cleanup.splice(0).reverse()) await step();
    });

    /** Two processes on one new database, with answering groups for BASE_QUERY, OTHER_QUERY and THIRD_QUERY (12 groups); and the store's clock. */
    async function twoProcesses(): Promise<{ first: Storage; second: Storage; storeClock: () => Promise<number> }> {
      const database: EngineDatabase = await freshDatabase(engine.name, "snapclock");
      cleanup.push(() => database.drop());
      const first = await database.open();
      const second = await database.open();
      cleanup.push(() => first.close(), () => second.close());
      // Ten events each: far past the noisy event minimum, so every group answers from the crowd (and carries a time).
      await seedGroup(first, BASE_QUERY, 5, 10);
      await seedGroup(first, OTHER_QUERY, 5, 10);
      await seedGroup(first, THIRD_QUERY, 5, 10);
      const storeClock = async (): Promise<number> =>
        postgres ? (await database.query<{ now: Date }>("SELECT clock_timestamp() AS now"))[0]!.now.getTime() : Date.now();
      return { first, second, storeClock };
    }

    /** The server's predictor: no test clock, a seeded noise source so answers compare. */
    const predictorOn = (storage: Storage): Predictor => createPredictor(storage, SETTINGS, { noise: seededSnapshotNoise("clock") });

    /** A process whose host clock runs `ms` ahead (behind, if negative) from here on. */
    function hostClockOff(ms: number): void {
      vi.useFakeTimers({ toFake: ["Date"], now: Date.now() + ms });
    }

    it(`a query in a process whose host clock is an hour ahead ${postgres ? "serves the stored snapshot and stamps new ones with the database's time" : "recomputes at its host's time (the store's clock)"}`, async () => {
      const { first, second, storeClock } = await twoProcesses();
      const before = await storeClock();
      const [first0] = await predictorOn(first).predict([BASE_QUERY]);
      expect(first0?.metadata.source).toBe("crowd");
      expect(lastUpdated(first0)).toBeGreaterThanOrEqual(Date.parse(published(before)));
      const key = groupKey(BASE_QUERY, 0);
      const stored = (await first.readSnapshots([key])).snapshots.get(key);

      hostClockOff(INTERVAL);
      const ahead = predictorOn(second);
      // Other's first snapshot is timed by the clock read with Base's stored one; Third's, with none stored beside it, by the store's clock asked alone.
      const [again, other] = await ahead.predict([BASE_QUERY, OTHER_QUERY]);
      const [third] = await ahead.predict([THIRD_QUERY]);
      const after = await storeClock();
      if (postgres) {
        // Not stale by the database's clock: no second snapshot of the group within its interval.
        expect(again).toEqual(first0);
        expect((await second.readSnapshots([key])).snapshots.get(key)).toEqual(stored);
        // Groups computed for the first time carry the database's time, not the host's hour ahead.
        for (const answer of [other, third]) {
          expect(lastUpdated(answer)).toBeGreaterThanOrEqual(Date.parse(published(before)));
          expect(lastUpdated(answer)).toBeLessThanOrEqual(after);
        }
      } else {
        for (const answer of [again, other, third]) expect(answer?.metadata.last_updated).toBe(published(Date.now()));
      }
    });

    it(`a refresh of every group in a process whose host clock is an hour ahead ${postgres ? "finds nothing stale" : "recomputes every group"}`, async () => {
      const { first, second } = await twoProcesses();
      const all = await predictorOn(first).refreshAll?.();
      expect(all).toMatchObject({ groups: 12, computed: 12 });
      hostClockOff(INTERVAL);
      expect(await predictorOn(second).refreshAll?.()).toMatchObject({ groups: 12, computed: postgres ? 0 : 12 });
    });

    it(`a process whose host clock is three hours behind ${postgres ? "replaces a snapshot two hours old by the database's clock" : "serves a snapshot its host's clock finds an hour in the future"}`, async () => {
      const { first, second, storeClock } = await twoProcesses();
      // A snapshot computed two intervals ago by the store's clock (a test clock stands in for then).
      const twoAgo = (await storeClock()) - 2 * INTERVAL;
      const [old] = await createPredictor(first, SETTINGS, { noise: seededSnapshotNoise("clock"), now: () => new Date(twoAgo) }).predict([BASE_QUERY]);
      expect(old?.metadata.last_updated).toBe(published(twoAgo));

      hostClockOff(-3 * INTERVAL);
      const [answer] = await predictorOn(second).predict([BASE_QUERY]);
      if (postgres) expect(lastUpdated(answer)).toBeGreaterThanOrEqual(Date.parse(published(twoAgo + 2 * INTERVAL)));
      else expect(answer).toEqual(old);
    });
  });
}
