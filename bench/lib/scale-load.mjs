/**
 * The load side of bench/server-scale: 100-event batches with fresh event ids, built before the
 * clock starts, POSTed over keep-alive connections spread over the server processes the way a
 * load balancer would (connection i goes to process i mod N).
 */
import { randomUUID } from "node:crypto";
import { Buffer } from "node:buffer";
import { Agent, request } from "node:http";
import process from "node:process";
import { EVENT_FIELDS, SCHEMA_VERSION } from "./event-fields.mjs";

const MODELS = ["claude-sonnet-4-5-20250929", "claude-opus-4-1", "claude-haiku-4-5", "gpt-5", "gpt-5-mini", "gemini-2.5-pro"];
const PROVIDERS = { "claude-sonnet-4-5-20250929": "anthropic", "claude-opus-4-1": "anthropic", "claude-haiku-4-5": "anthropic", "gpt-5": "openai", "gpt-5-mini": "openai", "gemini-2.5-pro": "google" };
const TASK_TYPES = ["implementation", "debugging", "refactoring", "testing"];
const COMPLEXITIES = ["low", "medium", "high"];

/**
 * `batches` request bodies for `instances` (round-robin), 100 events each, spread over a few
 * models, task types and complexities, with varied token counts (so sketches get many bins).
 * @param {{instanceId: string, key: string}[]} instances
 */
export function buildBatches(instances, batches, eventsPerBatch = 100) {
  const out = [];
  let n = 0;
  for (let b = 0; b < batches; b++) {
    const instance = instances[b % instances.length];
    const events = [];
    for (let e = 0; e < eventsPerBatch; e++, n++) {
      const model = MODELS[n % MODELS.length];
      events.push({
        ...EVENT_FIELDS,
        model,
        provider: PROVIDERS[model],
        task_type: TASK_TYPES[(n >> 3) % TASK_TYPES.length],
        complexity: COMPLEXITIES[(n >> 5) % COMPLEXITIES.length],
        actual_input_tokens: 1000 + ((n * 7919) % 400_000),
        actual_output_tokens: 200 + ((n * 104_729) % 90_000),
        task_duration_ms: 5000 + ((n * 15_485_863) % 3_000_000),
        event_id: randomUUID(),
        timestamp: new Date(Date.UTC(2026, 10, 1) + n * 1000).toISOString(),
        instance_id: instance.instanceId,
        schema_version: SCHEMA_VERSION,
      });
    }
    out.push({ key: instance.key, body: Buffer.from(JSON.stringify({ events })) });
  }
  return out;
}

/** POSTs one body; resolves with status and the accepted count. */
function post(agent, url, key, body) {
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      {
        method: "POST",
        agent,
        headers: { "content-type": "application/json", "content-length": body.length, authorization: `Bearer ${key}` },
      },
      (res) => {
        const chunks = [];
        res.on("data", (chunk) => chunks.push(chunk));
        res.on("end", () => {
          const text = Buffer.concat(chunks).toString("utf8");
          let accepted = 0;
          if (res.statusCode === 200) accepted = JSON.parse(text).results.filter((result) => result.status === "accepted").length;
          resolve({ status: res.statusCode ?? 0, accepted, text });
        });
      },
    );
    req.on("error", reject);
    req.end(body);
  });
}

/**
 * Sends every batch through `connections` keep-alive connections spread over `urls`; each
 * connection takes the next unsent batch when its answer arrives. Returns the elapsed seconds
 * and the accepted count; any non-200 answer is collected as a problem.
 */
export async function sendAll(urls, batches, connections) {
  const agents = urls.map(() => new Agent({ keepAlive: true, maxSockets: connections }));
  let next = 0;
  let accepted = 0;
  const problems = [];
  const started = process.hrtime.bigint();
  await Promise.all(
    Array.from({ length: connections }, async (_, c) => {
      const target = c % urls.length;
      const url = `${urls[target]}/v1/events/batch`;
      for (let index = next++; index < batches.length; index = next++) {
        const { key, body } = batches[index];
        const answer = await post(agents[target], url, key, body);
        if (answer.status !== 200) problems.push(`${answer.status} ${answer.text.slice(0, 200)}`);
        accepted += answer.accepted;
      }
    }),
  );
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  for (const agent of agents) agent.destroy();
  return { seconds, accepted, problems };
}
