/**
 * Measures the storage's batch fold (packages/server/dist/storage/batch-fold.js) per event against
 * a candidate fold that computes group keys once per distinct dimension tuple and keeps bins in
 * nested maps instead of a JSON.stringify'd key per (group, metric, bin); checks first that both
 * give identical output on random batches. Evidence for docs/benchmarks-server.md; the candidate
 * is a proposal for src/storage/batch-fold.ts, not used by the server.
 *
 *   flock /tmp/bench.lock node bench/lib/server-fold-probe.mjs
 */
import { EVENT_FIELDS } from "./event-fields.mjs";
import { loadServerModule } from "./server-dist.mjs";
import { drawDimensions, seededRandom } from "./server-seed.mjs";
import { printMachine } from "./report.mjs";

const { foldBatch, sketchValue, compareKeys } = await loadServerModule("storage/batch-fold.js");
const { GROUP_LEVELS, groupKey, parentGroupKey } = await loadServerModule("predictions/group-key.js");
const { sketchBin } = await loadServerModule("predictions/sketch-mapping.js");
const { SKETCH_METRICS } = await loadServerModule("storage/storage.js");

/** The candidate: same output as foldBatch (groups by key, bins by key, metric, bin). */
function candidateFold(events) {
  const groups = new Map();
  const bins = new Map();
  const keysOf = new Map();
  for (const event of events) {
    // NUL cannot occur raw in these values' JSON group keys, and the tuple only picks cached keys.
    const tuple = `${event.provider}\u0000${event.model}\u0000${event.task_type}\u0000${event.complexity}`;
    let keys = keysOf.get(tuple);
    if (!keys) keysOf.set(tuple, (keys = GROUP_LEVELS.map((level) => [groupKey(event, level), parentGroupKey(event, level), level])));
    const eventBins = SKETCH_METRICS.map((metric) => sketchBin(sketchValue(event, metric)));
    for (const [key, parentKey, level] of keys) {
      let group = groups.get(key);
      if (!group) {
        group = { groupKey: key, level, parentKey, events: 0, sumEstimatedInputTokens: 0, sumActualInputTokens: 0, sumEstimatedOutputTokens: 0, sumActualOutputTokens: 0, gatePassed: 0, successes: 0 };
        groups.set(key, group);
        bins.set(key, SKETCH_METRICS.map(() => new Map()));
      }
      group.events += 1;
      group.sumEstimatedInputTokens += event.estimated_input_tokens;
      group.sumActualInputTokens += event.actual_input_tokens;
      group.sumEstimatedOutputTokens += event.estimated_output_tokens;
      group.sumActualOutputTokens += event.actual_output_tokens;
      if (event.quality_gate_passed) group.gatePassed += 1;
      if (event.outcome === "success") group.successes += 1;
      const byMetric = bins.get(key);
      for (let m = 0; m < SKETCH_METRICS.length; m++) {
        const existing = byMetric[m].get(eventBins[m]);
        if (existing) existing.count += 1;
        else byMetric[m].set(eventBins[m], { groupKey: key, metric: SKETCH_METRICS[m], bin: eventBins[m], count: 1 });
      }
    }
  }
  const sortedGroups = [...groups.values()].sort((a, b) => compareKeys(a.groupKey, b.groupKey));
  const metricOrder = SKETCH_METRICS.map((metric, index) => [metric, index]).sort((a, b) => compareKeys(a[0], b[0]));
  const sortedBins = [];
  for (const group of sortedGroups) {
    const byMetric = bins.get(group.groupKey);
    for (const [, index] of metricOrder) sortedBins.push(...[...byMetric[index].values()].sort((a, b) => a.bin - b.bin));
  }
  return { groups: sortedGroups, bins: sortedBins };
}

function randomBatch(random, size) {
  return Array.from({ length: size }, () => ({
    ...EVENT_FIELDS,
    ...drawDimensions(random),
    actual_input_tokens: Math.floor(random() * 1e6),
    actual_output_tokens: Math.floor(random() * 1e5),
    task_duration_ms: Math.floor(random() * 1e7),
    actual_cost_usd_micros: random() < 0.1 ? 0 : Math.floor(random() * 1e6),
    quality_gate_passed: random() < 0.5,
    outcome: random() < 0.5 ? "success" : "failure",
  }));
}

await printMachine();
const random = seededRandom(3);
for (let trial = 0; trial < 50; trial++) {
  const batch = randomBatch(random, 1 + Math.floor(random() * 300));
  if (JSON.stringify(foldBatch(batch)) !== JSON.stringify(candidateFold(batch))) {
    console.error(`different output on trial ${trial}`);
    process.exit(1);
  }
}
console.log("identical output on 50 random batches of 1 to 300 events");

// The ingest bench's shape: 100 events of one dimension tuple, varied values.
const batch = randomBatch(seededRandom(5), 100).map((event) => ({ ...event, ...EVENT_FIELDS, actual_input_tokens: event.actual_input_tokens }));
for (const round of [1, 2]) {
  for (const [name, fold] of [["foldBatch (dist)", foldBatch], ["candidate", candidateFold]]) {
    for (let i = 0; i < 2000; i++) fold(batch);
    const started = process.hrtime.bigint();
    const runs = 5000;
    for (let i = 0; i < runs; i++) fold(batch);
    console.log(`round ${round} ${name}: ${(Number(process.hrtime.bigint() - started) / runs / batch.length / 1000).toFixed(2)} µs per event`);
  }
}
