import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createPredictor } from "../../src/predictions/predictor.js";
import { REPORTED_QUANTILES } from "../../src/predictions/quantiles.js";
import { openStorage } from "../../src/storage/open-storage.js";
import type { Storage } from "../../src/storage/storage.js";
import { weightedQuantile } from "../predictions/privacy/synthetic-instances.js";
import { recovered, walkEstimates, type WalkObservation } from "../predictions/privacy/walk-attack.js";
import { logNormalInt, seededRandom } from "../predictions/seeded-random.js";
import { injectJson, makeEvent, seedInstance, startTestServer, type TestServer } from "./test-server.js";
import { seededSnapshotNoise } from "../helpers/seeded-noise.js";

/**
 * Issue 13's attacks replayed against the whole app in-process (routes, auth, validation), with a
 * fake clock (the strongest attacker: the snapshot interval passes between each of its steps) and a
 * seeded noise source. The attacker holds one ordinary instance key; honest instances report through theirs.
 */

const HOUR = 3_600_000;
const QUERY = { task_type: "implementation", model: "rare-model", provider: "anthropic", complexity: "critical" };

describe("prediction privacy against a running server", () => {
  let dir: string;
  let storage: Storage;
  let server: TestServer;
  let clock: number;
  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), "mosaic-privacy-"));
    storage = await openStorage({ engine: "sqlite", path: join(dir, "t.db") });
    clock = Date.parse("2026-12-01T00:00:00.000Z");
    const predictor = createPredictor(storage, { minEvents: 10, minContributors: 5 }, { now: () => new Date(clock), noise: seededSnapshotNoise("attack") });
    server = await startTestServer({ storage, predictor, inProcess: true });
  });
  afterEach(async () => {
    await server.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const events = (key: string, list: Record<string, unknown>[]) => injectJson(server.app, "/v1/events/batch", key, { events: list });
  const predict = async (key: string, queries: Record<string, unknown>[]) => (await injectJson(server.app, "/v1/predictions/batch", key, { queries })).body.results;
  const valued = (instanceId: string, value: number, patch: Record<string, unknown> = {}) =>
    makeEvent(instanceId, { ...QUERY, actual_input_tokens: value, ...patch });

  it("the order-statistic walk (50 planted events, a snapshot each) recovers no honest value within 10 % (goal 1)", async () => {
    const honest = Array.from({ length: 5 }, (_, i) => [Math.round(1_000 * 1.3 ** (2 * i)), Math.round(1_000 * 1.3 ** (2 * i + 1))]);
    for (const [i, values] of honest.entries()) {
      const instance = await seedInstance(storage, `honest-${i}`);
      expect((await events(instance.apiKey, values.map((v) => valued(instance.instanceId, v)))).body.accepted).toBe(2);
    }
    const observations: WalkObservation[] = [];
    const planted: number[] = [];
    for (let j = 0; j < 50; j++) {
      const value = j < 25 ? 1 : 1e9;
      planted.push(value);
      expect((await events(server.apiKey, [valued(server.instanceId, value)])).body.accepted).toBe(1);
      clock += HOUR;
      const [result] = await predict(server.apiKey, [{ ...QUERY, source: "crowd" }]);
      const mass = Math.min(planted.length, 2);
      if (result.prediction) observations.push({ attackerBelow: (planted.filter((v) => v <= 1).length / planted.length) * mass, attackerMass: mass, quantiles: result.prediction.input_tokens });
    }
    expect(observations.length).toBeGreaterThan(0);
    const sorted = honest.flat().sort((a, b) => a - b);
    expect(recovered(walkEstimates(observations, 10, 10), sorted, 0.1)).toBe(0);
  });

  it("an event with an estimate of 0 and huge actual tokens changes nothing within the interval; the factor stays a median of honest ratios (goal 1)", async () => {
    for (let i = 0; i < 5; i++) {
      const instance = await seedInstance(storage, `honest-${i}`);
      const list = Array.from({ length: 4 }, (_, e) => valued(instance.instanceId, 1_000 + 100 * e, { estimated_input_tokens: 900 + 80 * i }));
      expect((await events(instance.apiKey, list)).body.accepted).toBe(4);
    }
    const [before] = await predict(server.apiKey, [QUERY]);
    expect((await events(server.apiKey, [valued(server.instanceId, 5_000_000, { estimated_input_tokens: 0 })])).body.accepted).toBe(1);
    const [within] = await predict(server.apiKey, [QUERY]);
    expect(within).toEqual(before);
    expect(before.metadata.source).toBe("crowd");
    expect(before.prediction.correction_factors.input).toBeGreaterThan(0.5);
    expect(before.prediction.correction_factors.input).toBeLessThan(2);
  });

  it("one event under the provider/model does not switch off the levels that answered (goal 2)", async () => {
    for (let i = 0; i < 5; i++) {
      const instance = await seedInstance(storage, `honest-${i}`);
      const list = Array.from({ length: 4 }, (_, e) => valued(instance.instanceId, 1_000 + e, { task_type: "debugging" }));
      expect((await events(instance.apiKey, list)).body.accepted).toBe(4);
    }
    const asked = { ...QUERY, task_type: "testing" };
    expect((await predict(server.apiKey, [asked]))[0].metadata.fallback_level).toBe(2);
    expect((await events(server.apiKey, [valued(server.instanceId, 7, { task_type: "planning" })])).body.accepted).toBe(1);
    for (let hour = 1; hour <= 3; hour++) {
      clock += HOUR;
      const [result] = await predict(server.apiKey, [{ ...asked, source: "crowd" }]);
      expect(result.metadata).toMatchObject({ fallback_level: 2, source: "crowd" });
    }
  });

  it("a single-instance server answers from that instance's own history (goal 3)", async () => {
    const list = [800, 1_000, 1_200].map((v) => valued(server.instanceId, v));
    expect((await events(server.apiKey, list)).body.accepted).toBe(3);
    const [result] = await predict(server.apiKey, [QUERY]);
    expect(result.metadata).toMatchObject({ source: "own", fallback_level: 0, sample_size: 3, contributors: 1 });
    expect(result.prediction.input_tokens.median).toBeCloseTo(1_000, -1);
  });

  it("with 1,000 events from 20 instances every published quantile is within 3 % of the weighted exact one (goal 4)", async () => {
    const random = seededRandom(2026);
    const values: number[][] = [];
    for (let i = 0; i < 20; i++) {
      const instance = await seedInstance(storage, `crowd-${i}`);
      const mine = Array.from({ length: 50 }, () => Math.max(1, logNormalInt(random, 4_000, 0.6)));
      values.push(mine);
      for (let from = 0; from < mine.length; from += 25) {
        expect((await events(instance.apiKey, mine.slice(from, from + 25).map((v) => valued(instance.instanceId, v)))).body.accepted).toBe(25);
      }
    }
    const [result] = await predict(server.apiKey, [QUERY]);
    expect(result.metadata).toMatchObject({ source: "crowd", fallback_level: 0, contributors: 20 });
    for (const [name, q] of Object.entries(REPORTED_QUANTILES)) {
      const exact = weightedQuantile(values, q, 5);
      expect(Math.abs(result.prediction.input_tokens[name] / exact - 1), name).toBeLessThanOrEqual(0.03);
    }
    const heldOut = Array.from({ length: 2_000 }, () => logNormalInt(random, 4_000, 0.6));
    const { p10, p90 } = result.prediction.input_tokens;
    const covered = heldOut.filter((v) => v >= p10 && v <= p90).length / heldOut.length;
    expect(covered).toBeGreaterThanOrEqual(0.75);
    expect(covered).toBeLessThanOrEqual(0.85);
  });
});
