import { Complexity, Provider, TaskType, enumValues, type Prediction, type PredictionQuery, type PredictionResponse } from "@mosaicstack/telemetry-protocol";
import type { Command } from "../command.js";
import { usageError } from "../command.js";
import { resolveConfig } from "../config/user-config.js";
import { ErrorLog } from "../telemetry/error-log.js";
import { openClient, requireSettings } from "../telemetry/open-client.js";
import { formatCount, formatUsd } from "./prediction-format.js";

const PROVIDERS: readonly string[] = enumValues(Provider);
const TASK_TYPES: readonly string[] = enumValues(TaskType);
const COMPLEXITIES: readonly string[] = enumValues(Complexity);

function formatMs(ms: number): string {
  return ms >= 3_600_000 ? `${(ms / 3_600_000).toFixed(1)} h` : ms >= 60_000 ? `${(ms / 60_000).toFixed(1)} min` : `${(ms / 1000).toFixed(0)} s`;
}

/** The prediction as a table a person reads. */
export function predictionTable(answer: PredictionResponse): string {
  const m = answer.metadata;
  const head = `${answer.query.provider} ${answer.query.model}, ${answer.query.task_type}, ${answer.query.complexity}\n`;
  if (answer.prediction === null) return head + `no prediction: not enough data at any fallback level (confidence ${m.confidence})\n`;
  const p: Prediction = answer.prediction;
  const rows: [string, (q: keyof typeof p.input_tokens) => string][] = [
    ["input tokens", (q) => formatCount(p.input_tokens[q])],
    ["output tokens", (q) => formatCount(p.output_tokens[q])],
    ["cost", (q) => formatUsd(p.cost_usd_micros[q])],
    ["duration", (q) => formatMs(p.duration_ms[q])],
  ];
  const quantiles = ["p10", "p25", "median", "p75", "p90"] as const;
  let out = head + "\n" + "".padEnd(14) + quantiles.map((q) => q.padStart(10)).join("") + "\n";
  for (const [label, cell] of rows) out += label.padEnd(14) + quantiles.map((q) => cell(q).padStart(10)).join("") + "\n";
  out +=
    `\ncorrection factors  input ${p.correction_factors.input.toFixed(2)}, output ${p.correction_factors.output.toFixed(2)} (actual / estimated)\n` +
    `quality             gates passed ${(p.quality.gate_pass_rate * 100).toFixed(0)} %, success ${(p.quality.success_rate * 100).toFixed(0)} %\n` +
    `fallback level      ${m.fallback_level} (matched on ${m.dimensions.join(", ")})\n` +
    `confidence          ${m.confidence}, ${m.sample_size} tasks from ${m.contributors} contributors` +
    ((m as { source?: string }).source !== undefined ? ` (${(m as { source?: string }).source})` : "") +
    "\n";
  return out;
}

export const predict: Command = {
  path: "predict",
  args: "--model M --provider P [--task-type T] [--complexity C] [--json]",
  summary: "Read the crowd prediction for a task (table, or --json)",
  details: `Providers: ${PROVIDERS.join(", ")}.\nTask types: ${TASK_TYPES.join(", ")} (default unknown).\nComplexities: ${COMPLEXITIES.join(", ")} (default medium).`,
  options: [
    { name: "model", type: "string", value: "M", description: "the model, e.g. claude-sonnet-4-5-20250929" },
    { name: "provider", type: "string", value: "P", description: "the provider, e.g. anthropic" },
    { name: "task-type", type: "string", value: "T", description: "the task type (default unknown)" },
    { name: "complexity", type: "string", value: "C", description: "the complexity (default medium)" },
    { name: "json", type: "boolean", description: "print the API's answer as JSON" },
  ],
  maxPositionals: 0,
  async run(args, { io, paths }) {
    const model = args.options["model"];
    const provider = args.options["provider"];
    const taskType = args.options["task-type"] ?? "unknown";
    const complexity = args.options["complexity"] ?? "medium";
    if (typeof model !== "string" || model === "") return usageError(io, "predict", "--model is required");
    if (typeof provider !== "string" || !PROVIDERS.includes(provider)) return usageError(io, "predict", `--provider must be one of ${PROVIDERS.join(", ")}`);
    if (typeof taskType !== "string" || !TASK_TYPES.includes(taskType)) return usageError(io, "predict", `--task-type must be one of ${TASK_TYPES.join(", ")}`);
    if (typeof complexity !== "string" || !COMPLEXITIES.includes(complexity)) return usageError(io, "predict", `--complexity must be one of ${COMPLEXITIES.join(", ")}`);
    const settings = requireSettings(resolveConfig(paths.configDir, io.env));
    if ("missing" in settings) {
      io.stderr(`mosaic: ${settings.missing}\n`);
      return 1;
    }
    const query = { model, provider, task_type: taskType, complexity } as PredictionQuery;
    const log = new ErrorLog();
    const client = openClient(settings, paths, { stopTimeoutMs: 0, requestTimeoutMs: 10_000, maxRetries: 1 }, log.onError);
    await client.refreshPredictions([query]);
    const answer = client.getPrediction(query);
    await client.stop();
    if (answer === null) {
      io.stderr(`mosaic: no answer from the server${log.first() ? `: ${log.first()}` : ""}\n`);
      return 1;
    }
    io.stdout(args.options["json"] === true ? JSON.stringify(answer, null, 2) + "\n" : predictionTable(answer));
    return 0;
  },
};
