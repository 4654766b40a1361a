/**
 * Seeds a SQLite database for the predictions bench straight through the storage API (the same
 * ingestEvents the server calls, so events, sketch bins and per-instance counts are all real),
 * in big per-instance transactions. The data are shaped like a real crowd: many instances of
 * uneven size, models of Zipf-like popularity under each provider, skewed task types and
 * complexities, log-normal tokens, costs and durations. Deterministic for a given seed.
 */
import { randomUUID } from "node:crypto";
import { EVENT_FIELDS } from "./event-fields.mjs";

/** mulberry32: a small seeded PRNG, so both databases draw from the same distribution. */
export function seededRandom(seed) {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const PROVIDERS = ["anthropic", "openai", "google", "mistral", "deepseek", "xai", "openrouter", "ollama"];
const MODELS_PER_PROVIDER = 5;
const TASK_TYPES = ["implementation", "debugging", "testing", "code_review", "refactoring", "documentation", "planning", "architecture", "configuration", "security_audit", "unknown"];
const COMPLEXITIES = ["medium", "low", "high", "critical"];

/** Index i with probability proportional to 1 / (i + 1)^s: a Zipf-like pick. */
function zipfPick(random, list, s = 1.1) {
  const weights = list.map((_, i) => 1 / Math.pow(i + 1, s));
  const total = weights.reduce((a, b) => a + b, 0);
  let r = random() * total;
  for (let i = 0; i < list.length; i++) {
    r -= weights[i];
    if (r <= 0) return list[i];
  }
  return list[list.length - 1];
}

/** A log-normal integer around `median`. */
function logNormal(random, median, sigma) {
  // Box-Muller
  const u = Math.max(random(), 1e-12);
  const z = Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * random());
  return Math.max(1, Math.round(median * Math.exp(sigma * z)));
}

/** A dimension combination drawn from the crowd's distribution. */
export function drawDimensions(random) {
  const provider = zipfPick(random, PROVIDERS, 1.0);
  const model = `${provider}-model-${zipfPick(random, [...Array(MODELS_PER_PROVIDER).keys()], 1.2)}`;
  return { provider, model, task_type: zipfPick(random, TASK_TYPES, 1.0), complexity: zipfPick(random, COMPLEXITIES, 0.8) };
}

/** An event of `instanceId` drawn from the crowd's distribution, with `timestamp` as given. */
export function drawEvent(random, instanceId, now) {
  const dims = drawDimensions(random);
  const input = logNormal(random, 150_000, 0.9);
  const output = logNormal(random, 40_000, 0.9);
  return {
    ...EVENT_FIELDS,
    ...dims,
    event_id: randomUUID(),
    instance_id: instanceId,
    schema_version: "1.0",
    timestamp: now,
    task_duration_ms: logNormal(random, 600_000, 1.0),
    estimated_input_tokens: Math.round(input * (0.8 + random() * 0.4)),
    actual_input_tokens: input,
    estimated_output_tokens: Math.round(output * (0.8 + random() * 0.4)),
    actual_output_tokens: output,
    estimated_cost_usd_micros: logNormal(random, 900_000, 1.0),
    actual_cost_usd_micros: logNormal(random, 1_000_000, 1.1),
    quality_gate_passed: random() < 0.8,
    outcome: random() < 0.75 ? "success" : random() < 0.5 ? "partial" : "failure",
  };
}

/**
 * Writes `total` events from `instances` instances (uneven: instance sizes are Zipf-like) through
 * `storage.ingestEvents`, `chunk` events per transaction. Returns the instance ids. Timestamps are
 * all "now", or with `spanDays` spread evenly over the `spanDays` days before `endMs`.
 */
export async function seedEvents(storage, { total, instances, seed = 1, chunk = 5000, generateApiKey, onProgress, spanDays = 0, endMs = Date.now() }) {
  const random = seededRandom(seed);
  const ids = Array.from({ length: instances }, (_, i) => `00000000-0000-4000-8000-${String(i).padStart(12, "0")}`);
  for (const id of ids) {
    const { record } = generateApiKey(id, new Date());
    await storage.createInstance({ id, name: `bench-${id.slice(-4)}`, createdAt: new Date() }, record);
  }
  const weights = ids.map((_, i) => 1 / Math.pow(i + 1, 0.7));
  const weightSum = weights.reduce((a, b) => a + b, 0);
  const now = new Date().toISOString();
  let written = 0;
  for (let i = 0; i < ids.length; i++) {
    const share = i === ids.length - 1 ? total - written : Math.max(1, Math.round((total * weights[i]) / weightSum));
    const count = Math.min(share, total - written);
    for (let done = 0; done < count; done += chunk) {
      const events = Array.from({ length: Math.min(chunk, count - done) }, () =>
        drawEvent(random, ids[i], spanDays > 0 ? new Date(endMs - Math.floor(random() * spanDays * 86_400_000)).toISOString() : now),
      );
      await storage.ingestEvents(ids[i], events, new Date());
    }
    written += count;
    if (onProgress && (i % 50 === 49 || i === ids.length - 1)) onProgress(written);
  }
  return ids;
}
