import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { PredictionQuery, TaskCompletionEvent } from "@mosaicstack/telemetry-protocol";
import { groupKey } from "../../../src/aggregation/group-key.js";
import { computeCrowdSnapshot, type CrowdSnapshot } from "../../../src/predictions/privacy/crowd-snapshot.js";
import { DEFAULT_PRIVACY_PARAMETERS } from "../../../src/predictions/privacy/privacy-parameters.js";
import { createPrivatePredictor, refreshAllSnapshots, type PrivatePredictor } from "../../../src/predictions/privacy/private-predictor.js";
import type { PredictionStore } from "../../../src/storage/prediction-store.js";
import type { Storage } from "../../../src/storage/storage.js";
import type { EngineName } from "../../helpers/engines.js";
import { toStore } from "../../helpers/events-to-store.js";
import { makeEvent, seedInstance } from "../../storage/storage-fixtures.js";
import { BASE_QUERY, eventDims } from "../predictor-seed.js";
import { seededSnapshotNoise } from "../../helpers/seeded-noise.js";

/** A fresh storage and the prediction store over the same database. */
export type OpenPredictionStorage = () => Promise<{ storage: Storage; store: PredictionStore; dispose: () => Promise<void> }>;

const THRESHOLDS = { minEvents: 10, minContributors: 5 };
const HOUR = 3_600_000;
const START = Date.parse("2026-12-01T10:00:00.000Z");
const at = (patch: Partial<PredictionQuery>): PredictionQuery => ({ ...BASE_QUERY, ...patch });

/** The private predictor's behaviour on `engine`, with a fake clock and a seeded noise source. */
export function privatePredictorCases(engine: EngineName, open: OpenPredictionStorage): void {
  let storage: Storage;
  let store: PredictionStore;
  let dispose: () => Promise<void>;
  let clock: number;
  let predictor: PrivatePredictor;
  beforeEach(async () => {
    ({ storage, store, dispose } = await open());
    clock = START;
    predictor = createPrivatePredictor(store, { thresholds: THRESHOLDS, now: () => new Date(clock), noise: seededSnapshotNoise("cases") });
  });
  afterEach(async () => {
    await dispose();
  });

  /** `instances` new instances sending `perInstance` events each to the group of `query`; values vary per event. */
  async function seed(query: PredictionQuery, instances: number, perInstance: number, patch: (i: number, e: number) => Partial<TaskCompletionEvent> = () => ({})): Promise<string[]> {
    const ids: string[] = [];
    for (let i = 0; i < instances; i++) {
      const { instance } = await seedInstance(storage);
      ids.push(instance.id);
      await send(instance.id, query, perInstance, (e) => patch(i, e));
    }
    return ids;
  }

  async function send(instanceId: string, query: PredictionQuery, count: number, patch: (e: number) => Partial<TaskCompletionEvent> = () => ({})): Promise<void> {
    const events = Array.from({ length: count }, (_, e) => makeEvent(instanceId, { ...eventDims(query), actual_input_tokens: 1_000 + 37 * e, ...patch(e) }));
    await storage.ingestEvents(instanceId, toStore(events), new Date(clock));
  }

  /** The engine-independent mechanism's level-0 snapshot of `query`'s group at START, from the stored aggregates and the "cases" seed. */
  async function mechanismSnapshot(query: PredictionQuery): Promise<CrowdSnapshot> {
    const key = groupKey(query, 0);
    const instances = (await store.readInstanceAggregates([key])).get(key) ?? [];
    return computeCrowdSnapshot({
      groupKey: key,
      instances,
      thresholds: THRESHOLDS,
      parameters: DEFAULT_PRIVACY_PARAMETERS,
      random: seededSnapshotNoise("cases")(instances, key, new Date(START)),
      computedAt: new Date(START),
      answeredBefore: false,
    });
  }

  describe("crowd snapshots", () => {
    it("answers from the crowd at level 0, marked crowd, with the snapshot time and rounded sizes", async () => {
      await seed(BASE_QUERY, 5, 4);
      clock += 1234;
      const [result] = await predictor.predict([BASE_QUERY]);
      expect(result?.metadata).toMatchObject({ fallback_level: 0, source: "crowd", contributors: 5, last_updated: "2026-12-01T10:00:01.000Z" });
      expect((result?.metadata.sample_size ?? 1) % 10).toBe(0);
      expect(result?.prediction).not.toBeNull();
    });

    it("gives exactly the engine-independent mechanism's answer for the same events and seed", async () => {
      await seed(BASE_QUERY, 6, 7, (i, e) => ({ actual_output_tokens: 100 * (i + 1) + e, task_duration_ms: 1_000 * (e + 1) }));
      const [result] = await predictor.predict([BASE_QUERY]);
      const key = groupKey(BASE_QUERY, 0);
      expect(((await store.readInstanceAggregates([key])).get(key) ?? []).map((instance) => instance.events)).toEqual(Array(6).fill(7));
      const expected = await mechanismSnapshot(BASE_QUERY);
      expect(result?.prediction).toEqual(expected.prediction);
      expect(result?.metadata.sample_size).toBe(expected.sampleSize);
    });

    it("gives the same answer all through an interval, and a new snapshot after it", async () => {
      const ids = await seed(BASE_QUERY, 5, 4);
      const [first] = await predictor.predict([BASE_QUERY]);
      await send(ids[0] as string, BASE_QUERY, 30, () => ({ actual_input_tokens: 900_000 }));
      clock += HOUR - 1000;
      const [within] = await predictor.predict([BASE_QUERY]);
      expect(within).toEqual(first);
      clock += 1000;
      const [after] = await predictor.predict([BASE_QUERY]);
      expect(after?.metadata.last_updated).toBe(new Date(START + HOUR).toISOString());
      expect(after?.prediction).not.toEqual(first?.prediction);
    });

    it("serves the stored snapshot to another predictor (another process) in the same interval", async () => {
      await seed(BASE_QUERY, 5, 4);
      const [first] = await predictor.predict([BASE_QUERY]);
      const other = createPrivatePredictor(store, { thresholds: THRESHOLDS, now: () => new Date(clock + 60_000), noise: seededSnapshotNoise("another process") });
      expect(await other.predict([BASE_QUERY])).toEqual([first]);
    });
  });

  describe("beside a background refresher (queryGraceMs)", () => {
    it("a query leaves a snapshot past its interval to the refresher for the grace, then recomputes it itself", async () => {
      await seed(BASE_QUERY, 5, 6);
      const graced = createPrivatePredictor(store, { thresholds: THRESHOLDS, now: () => new Date(clock), noise: seededSnapshotNoise("cases"), queryGraceMs: HOUR / 2 });
      const [first] = await graced.predict([BASE_QUERY]);
      clock += HOUR + HOUR / 2 - 1;
      const [withinGrace] = await graced.predict([BASE_QUERY]);
      expect(withinGrace?.metadata.last_updated).toBe(first?.metadata.last_updated);
      clock += 1;
      const [after] = await graced.predict([BASE_QUERY]);
      expect(after?.metadata.last_updated).not.toBe(first?.metadata.last_updated);
    });
  });

  describe("the server's keyed noise (no noise option)", () => {
    it("gives the same answer for the same data within a window: at a level whose data equals the level below's, and in another process", async () => {
      await seed(BASE_QUERY, 6, 8, (i, e) => ({ actual_input_tokens: 1_000 + 50 * i + 7 * e }));
      const keyed = createPrivatePredictor(store, { thresholds: THRESHOLDS, now: () => new Date(clock) });
      // Another complexity has no events: its level-1 group holds exactly the level-0 group's data.
      const [level0, level1] = await keyed.predict([BASE_QUERY, at({ complexity: "low" })]);
      expect(level0?.metadata).toMatchObject({ fallback_level: 0, source: "crowd" });
      expect(level1?.metadata).toMatchObject({ fallback_level: 1, source: "crowd" });
      expect(level1?.prediction).toEqual(level0?.prediction);
      // Another process, later in the same window, computing level 2 (the same data again) for the first time.
      clock += HOUR / 2;
      const other = createPrivatePredictor(store, { thresholds: THRESHOLDS, now: () => new Date(clock) });
      const [level2] = await other.predict([at({ task_type: "testing", complexity: "low" })]);
      expect(level2?.metadata).toMatchObject({ fallback_level: 2, source: "crowd" });
      expect(level2?.metadata.last_updated).not.toBe(level0?.metadata.last_updated);
      expect(level2?.prediction).toEqual(level0?.prediction);
    });

    it("draws afresh in the next window, so an unchanged group does not tell that nobody reported", async () => {
      await seed(BASE_QUERY, 6, 8, (i, e) => ({ actual_input_tokens: 1_000 + 50 * i + 7 * e }));
      const keyed = createPrivatePredictor(store, { thresholds: THRESHOLDS, now: () => new Date(clock) });
      const [first] = await keyed.predict([BASE_QUERY]);
      clock += HOUR;
      const [next] = await keyed.predict([BASE_QUERY]);
      expect(next?.metadata.last_updated).not.toBe(first?.metadata.last_updated);
      expect(next?.prediction).not.toEqual(first?.prediction);
    });
  });

  describe("fallback that no single instance can switch off (goal 2)", () => {
    it.each([
      [1, { complexity: "high" }],
      [2, { task_type: "debugging" }],
      [3, { model: "gpt-5" }],
    ] as const)("falls back to level %i, and one event elsewhere under it does not switch it off", async (level, sibling) => {
      await seed(at(sibling), 5, 6);
      const [before] = await predictor.predict([BASE_QUERY]);
      expect(before?.metadata).toMatchObject({ fallback_level: level, source: "crowd" });
      // The attack: one event of another task type (or model) under the same parent.
      const { instance } = await seedInstance(storage);
      await send(instance.id, at({ ...sibling, task_type: "testing", model: "private-model" }), 1);
      for (let hour = 1; hour <= 3; hour++) {
        clock = START + hour * HOUR;
        const [later] = await predictor.predict([BASE_QUERY]);
        expect(later?.metadata.fallback_level).toBe(level);
      }
    });

    it("never answers from the crowd with fewer instances than the minimum", async () => {
      await seed(BASE_QUERY, 4, 20);
      const [result] = await predictor.predict([{ ...BASE_QUERY, source: "crowd" }]);
      expect(result?.metadata.fallback_level).toBe(-1);
      expect(result?.prediction).toBeNull();
    });
  });

  describe("own history (goal 3)", () => {
    it("a single-instance server answers from the instance's own events, exact and current", async () => {
      const [id] = await seed(BASE_QUERY, 1, 3, () => ({ actual_input_tokens: 2_000 }));
      const [result] = await predictor.predict([BASE_QUERY], { instanceId: id as string });
      expect(result?.metadata).toMatchObject({ source: "own", fallback_level: 0, sample_size: 3, contributors: 1, last_updated: new Date(START).toISOString() });
      expect(result?.prediction?.input_tokens.median).toBeCloseTo(2_000, -2);
      await send(id as string, BASE_QUERY, 1);
      const [next] = await predictor.predict([BASE_QUERY], { instanceId: id as string });
      expect(next?.metadata.sample_size).toBe(4);
    });

    it("answers own history at the first level that holds the instance's events", async () => {
      const [id] = await seed(at({ complexity: "high" }), 1, 2);
      const [result] = await predictor.predict([BASE_QUERY], { instanceId: id as string });
      expect(result?.metadata).toMatchObject({ source: "own", fallback_level: 1 });
    });

    it("asks for one source: own even where the crowd answers, crowd only where none does", async () => {
      const [id] = await seed(BASE_QUERY, 5, 4);
      const [own, crowd] = await predictor.predict([{ ...BASE_QUERY, source: "own" }, { ...BASE_QUERY, source: "crowd" }], { instanceId: id as string });
      expect(own?.metadata).toMatchObject({ source: "own", sample_size: 4, contributors: 1 });
      expect(own?.query.source).toBe("own");
      expect(crowd?.metadata.source).toBe("crowd");
      const [none] = await predictor.predict([{ ...at({ provider: "openai", model: "never-seen" }), source: "crowd" }], { instanceId: id as string });
      expect(none?.metadata.fallback_level).toBe(-1);
    });

    it("never answers one instance from another's history", async () => {
      await seed(BASE_QUERY, 1, 3);
      const { instance } = await seedInstance(storage);
      const [result] = await predictor.predict([BASE_QUERY], { instanceId: instance.id });
      expect(result?.metadata.fallback_level).toBe(-1);
      expect(await predictor.predict([BASE_QUERY])).toMatchObject([{ prediction: null }]);
    });
  });

  /** The store with every call recorded by name. */
  function recording(calls: string[]): PredictionStore {
    return {
      readSnapshots: (keys) => (calls.push("snapshots"), store.readSnapshots(keys)),
      clock: () => (calls.push("clock"), store.clock()),
      saveSnapshots: (s, before) => (calls.push("save"), store.saveSnapshots(s, before)),
      readInstanceAggregates: (keys) => (calls.push("aggregates"), store.readInstanceAggregates(keys)),
      readOwnAggregates: (id, keys) => (calls.push("own"), store.readOwnAggregates(id, keys)),
      readAllInstanceAggregates: () => (calls.push("all"), store.readAllInstanceAggregates()),
      noiseKey: (candidate) => (calls.push("noise-key"), store.noiseKey(candidate)),
      takeRefreshLease: (forMs, now) => (calls.push("lease"), store.takeRefreshLease(forMs, now)),
      renewRefreshLease: (lease, forMs, now) => (calls.push("renew"), store.renewRefreshLease(lease, forMs, now)),
      releaseRefreshLease: (lease) => (calls.push("release"), store.releaseRefreshLease(lease)),
    };
  }

  describe("refreshAllSnapshots", () => {
    it("computes every stale group's snapshot, the one a query would, so queries then read snapshots only", async () => {
      await seed(BASE_QUERY, 5, 10);
      await seed(at({ model: "gpt-5", provider: "openai" }), 1, 4);
      const options = { thresholds: THRESHOLDS, now: () => new Date(clock), noise: seededSnapshotNoise("cases") };
      // The four groups of five instances may answer (noise decides), the single instance's four never do.
      expect(await refreshAllSnapshots(store, options)).toMatchObject({ groups: 8, computed: 8 });
      const calls: string[] = [];
      const [answer] = await createPrivatePredictor(recording(calls), options).predict([BASE_QUERY]);
      expect(calls).toEqual(["snapshots"]);
      expect(answer?.metadata.fallback_level).toBe(0);
      expect(answer?.prediction).toEqual((await mechanismSnapshot(BASE_QUERY)).prediction);
      // Within the interval nothing is stale; after it, every group again.
      expect(await refreshAllSnapshots(store, options)).toEqual({ groups: 8, computed: 0, answering: 0 });
      clock += HOUR;
      expect(await refreshAllSnapshots(store, options)).toMatchObject({ groups: 8, computed: 8 });
    });
  });

  it("reads only snapshots on a repeated query within the interval", async () => {
    await seed(BASE_QUERY, 5, 10);
    await predictor.predict([BASE_QUERY]);
    const reads: string[] = [];
    const again = createPrivatePredictor(recording(reads), { thresholds: THRESHOLDS, now: () => new Date(clock), noise: seededSnapshotNoise("cases") });
    await again.predict([BASE_QUERY]);
    expect(reads).toEqual(["snapshots"]);
  });

  it("without a test clock, asks the store's clock on its own only for a group's first snapshot: a repeated query reads only snapshots, a group with no events no clock", async () => {
    const options = { thresholds: THRESHOLDS, noise: seededSnapshotNoise("cases") };
    const calls: string[] = [];
    const production = createPrivatePredictor(recording(calls), options);
    await production.predict([BASE_QUERY]);
    expect(calls).toEqual(Array<string[]>(4).fill(["snapshots", "aggregates"]).flat());
    await seed(BASE_QUERY, 5, 10);
    calls.length = 0;
    const [first] = await production.predict([BASE_QUERY]);
    // SQLite's read carries the host's time even when it finds nothing; PostgreSQL's carries the
    // database's clock only on a row, so the group's first snapshot asks for it alone.
    expect(calls.filter((call) => call === "clock")).toHaveLength(engine === "postgres" ? 1 : 0);
    calls.length = 0;
    expect(await createPrivatePredictor(recording(calls), options).predict([BASE_QUERY])).toEqual([first]);
    expect(calls).toEqual(["snapshots"]);
  });

  it("ten concurrent queries after the interval recompute the snapshot once (single flight in the process)", async () => {
    await seed(BASE_QUERY, 5, 10);
    await predictor.predict([BASE_QUERY]);
    clock += HOUR;
    const calls: string[] = [];
    const again = createPrivatePredictor(recording(calls), { thresholds: THRESHOLDS, now: () => new Date(clock), noise: seededSnapshotNoise("cases") });
    const answers = await Promise.all(Array.from({ length: 10 }, () => again.predict([BASE_QUERY])));
    expect(calls.filter((call) => call === "aggregates")).toHaveLength(1);
    for (const answer of answers) expect(answer).toEqual(answers[0]);
    expect(answers[0]?.[0]?.metadata.last_updated).toBe(new Date(clock).toISOString());
  });
}
