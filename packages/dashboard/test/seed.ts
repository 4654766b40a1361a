import { Complexity, Harness, Outcome, Provider, QualityGate, TaskType, TelemetryClient, type TaskCompletionEvent } from "@mosaicstack/telemetry-client";
import { ADMIN_TOKEN } from "./dashboard-server.js";

/**
 * Two instances' events sent through the SDK, as a team's agents would: a few models, task
 * types, harnesses and outcomes over the last 25 days, some without an estimate.
 */

export interface SeededInstance {
  name: string;
  instanceId: string;
  apiKey: string;
  apiKeyId: string;
  events: TaskCompletionEvent[];
}

const HOUR = 3_600_000;
const MODELS = [
  { provider: Provider.ANTHROPIC, model: "claude-sonnet-4-5-20250929" },
  { provider: Provider.OPENAI, model: "gpt-5" },
  { provider: Provider.ANTHROPIC, model: "claude-haiku-4-5" },
];
const TASKS = [TaskType.IMPLEMENTATION, TaskType.DEBUGGING, TaskType.TESTING, TaskType.CODE_REVIEW];
const HARNESSES = [Harness.CLAUDE_CODE, Harness.CODEX, Harness.AIDER];
const OUTCOMES = [Outcome.SUCCESS, Outcome.SUCCESS, Outcome.SUCCESS, Outcome.PARTIAL, Outcome.FAILURE];

async function createInstance(url: string, name: string): Promise<Omit<SeededInstance, "events">> {
  const response = await fetch(`${url}/v1/admin/instances`, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${ADMIN_TOKEN}` },
    body: JSON.stringify({ name }),
  });
  const body = (await response.json()) as { instance: { id: string }; api_key: { key: string; id: string } };
  if (response.status !== 201) throw new Error(`creating ${name}: HTTP ${response.status}`);
  return { name, instanceId: body.instance.id, apiKey: body.api_key.key, apiKeyId: body.api_key.id };
}

/** `count` events, one every `spacingHours` back from an hour ago; `salt` tells the instances' figures apart. */
function events(client: TelemetryClient, count: number, salt: number, now: number): TaskCompletionEvent[] {
  return Array.from({ length: count }, (_, i) => {
    const { provider, model } = MODELS[(i + salt) % MODELS.length] ?? MODELS[0]!;
    const outcome = OUTCOMES[(i * 7 + salt) % OUTCOMES.length] ?? Outcome.SUCCESS;
    const input = 20_000 + ((i * 7919 + salt * 104_729) % 180_000);
    const output = 4_000 + ((i * 3571 + salt * 7_919) % 60_000);
    // Every fifth event has no estimate (0 means none): the estimates view leaves it out and counts it.
    const estimated = i % 5 === 4 ? 0 : 1;
    const event = client.eventBuilder.build({
      task_duration_ms: 30_000 + ((i * 45_017) % 1_800_000),
      task_type: TASKS[(i + salt) % TASKS.length] ?? TaskType.IMPLEMENTATION,
      complexity: [Complexity.LOW, Complexity.MEDIUM, Complexity.HIGH][i % 3] ?? Complexity.MEDIUM,
      harness: HARNESSES[(i + 2 * salt) % HARNESSES.length] ?? Harness.CLAUDE_CODE,
      model,
      provider,
      estimated_input_tokens: estimated * Math.round(input * (0.7 + (i % 6) * 0.1)),
      estimated_output_tokens: estimated * Math.round(output * (0.8 + (i % 4) * 0.15)),
      actual_input_tokens: input,
      actual_output_tokens: output,
      estimated_cost_usd_micros: estimated * Math.round((input * 3 + output * 15) * (0.75 + (i % 5) * 0.1)),
      actual_cost_usd_micros: input * 3 + output * 15,
      quality_gate_passed: outcome !== Outcome.FAILURE && i % 4 !== 3,
      quality_gates_run: [QualityGate.BUILD, QualityGate.TEST],
      quality_gates_failed: [],
      context_compactions: i % 3,
      context_rotations: 0,
      context_utilization_final: 0.5,
      outcome,
      retry_count: 0,
    });
    // Spread over the last 25 days: the 30-day range the dashboard opens with holds them all.
    return { ...event, timestamp: new Date(now - HOUR - ((i * 113) % 600) * HOUR - (i % 60) * 1000).toISOString() };
  });
}

/** Two instances, `alpha` with 60 events and `beta` with 40, sent and flushed through the SDK. */
export async function seed(url: string, now = Date.now()): Promise<{ alpha: SeededInstance; beta: SeededInstance }> {
  const result: Record<string, SeededInstance> = {};
  for (const [name, count, salt] of [
    ["alpha", 60, 0],
    ["beta", 40, 1],
  ] as const) {
    const instance = await createInstance(url, name);
    const errors: Error[] = [];
    const client = new TelemetryClient({ serverUrl: url, apiKey: instance.apiKey, instanceId: instance.instanceId, onError: (error) => errors.push(error) });
    const sent = events(client, count, salt, now);
    for (const event of sent) client.track(event);
    const flushed = await client.flush();
    await client.stop();
    if (flushed.sent !== count || errors.length > 0) throw new Error(`seeding ${name}: ${JSON.stringify(flushed)} ${errors.map(String).join("; ")}`);
    result[name] = { ...instance, events: sent };
  }
  return { alpha: result["alpha"] as SeededInstance, beta: result["beta"] as SeededInstance };
}

/** The sums the dashboard's totals must show for these events. */
export function expectedTotals(events: readonly TaskCompletionEvent[]): { cost: number; input: number; output: number; events: number; withoutEstimate: number; successes: number } {
  return {
    cost: events.reduce((sum, e) => sum + e.actual_cost_usd_micros, 0),
    input: events.reduce((sum, e) => sum + e.actual_input_tokens, 0),
    output: events.reduce((sum, e) => sum + e.actual_output_tokens, 0),
    events: events.length,
    withoutEstimate: events.filter((e) => e.estimated_input_tokens + e.estimated_output_tokens === 0).length,
    successes: events.filter((e) => e.outcome === Outcome.SUCCESS).length,
  };
}
