import { Complexity, Provider, TaskType, type PredictionQuery, type PredictionResponse } from "@mosaicstack/telemetry-protocol";
import { api } from "../api.js";
import { el, select, uid } from "../dom.js";
import { formatCompact, formatDuration, formatFactor, formatInteger, formatLabel, formatPercent, formatTime, formatUsd } from "../format.js";
import { quantileChart } from "../quantile-chart.js";
import { loadInto, type View, type ViewContext } from "../view-context.js";

/**
 * The prediction explorer: what the crowd's events say a task of these four dimensions costs,
 * with where the answer came from (fallback level, contributors, and metadata.source when the
 * server names one).
 */

const options = (values: Record<string, string>): [string, string][] => Object.values(values).map((v) => [v, formatLabel(v)]);

const FALLBACK: Record<number, string> = {
  [-1]: "no data for any level",
  0: "all four dimensions matched",
  1: "complexity dropped",
  2: "complexity and task type dropped",
  3: "provider alone",
};

const query: PredictionQuery = { provider: "anthropic", model: "claude-sonnet-4-5-20250929", task_type: "implementation", complexity: "medium" };

function describe(result: PredictionResponse): (Node | string)[] {
  const m = result.metadata as PredictionResponse["metadata"] & { source?: unknown };
  const p = result.prediction;
  const source = typeof m.source === "string" ? m.source : null;
  const facts: [string, string][] = [
    ["Confidence", m.confidence],
    ["Fallback level", `${m.fallback_level}: ${FALLBACK[m.fallback_level] ?? ""}`],
    ["Matched on", m.dimensions.length > 0 ? m.dimensions.map(formatLabel).join(", ") : "–"],
    ["Sample size", `${formatInteger(m.sample_size)} events`],
    ["Contributors", `${formatInteger(m.contributors)} instance${m.contributors === 1 ? "" : "s"}`],
    ["Last updated", formatTime(m.last_updated)],
    ...(source === null ? [] : ([["Source", source]] as [string, string][])),
  ];
  if (p !== null) {
    facts.push(
      ["Input correction factor", formatFactor(p.correction_factors.input)],
      ["Output correction factor", formatFactor(p.correction_factors.output)],
      ["Gate pass rate", formatPercent(p.quality.gate_pass_rate)],
      ["Success rate", formatPercent(p.quality.success_rate)],
    );
  }
  const list = el("dl", { class: "facts", "data-testid": "prediction-facts" }, ...facts.flatMap(([term, value]) => [el("dt", {}, term), el("dd", {}, value)]));
  if (p === null) return [el("p", { class: "empty", "data-testid": "no-prediction" }, "No prediction: too few events match these dimensions, even after falling back."), list];
  return [
    quantileChart(
      `Predicted for ${formatLabel(result.query.task_type)}, ${result.query.complexity} complexity, ${result.query.provider} ${result.query.model}`,
      [
        { label: "Input tokens", quantiles: p.input_tokens, format: formatCompact },
        { label: "Output tokens", quantiles: p.output_tokens, format: formatCompact },
        { label: "Cost", quantiles: p.cost_usd_micros, format: formatUsd },
        { label: "Duration", quantiles: p.duration_ms, format: formatDuration },
      ],
      "prediction-chart",
    ),
    list,
  ];
}

function render(context: ViewContext): HTMLElement {
  const body = el("div", { class: "view-body", "aria-live": "polite" });
  const modelId = uid("model");
  const model = el("input", { id: modelId, type: "text", value: query.model, required: true, maxlength: 100, autocomplete: "off", spellcheck: "false" });
  const form = el(
    "form",
    {
      class: "controls",
      onsubmit: (event) => {
        event.preventDefault();
        query.model = model.value.trim();
        if (query.model === "") return;
        loadInto(body, context, () => api.predict(context.credential, [{ ...query }]), (data) => (data.results[0] ? describe(data.results[0]) : []));
      },
    },
    select("Provider", options(Provider), query.provider, (v) => (query.provider = v as PredictionQuery["provider"])),
    el("div", { class: "field" }, el("label", { for: modelId }, "Model"), model),
    select("Task type", options(TaskType), query.task_type, (v) => (query.task_type = v as PredictionQuery["task_type"])),
    select("Complexity", options(Complexity), query.complexity, (v) => (query.complexity = v as PredictionQuery["complexity"])),
    el("button", { type: "submit", class: "primary" }, "Predict"),
  );
  body.append(el("p", { class: "note" }, "Pick the four dimensions and press Predict."));
  return el(
    "section",
    { "aria-labelledby": "prediction-title" },
    el("h2", { id: "prediction-title" }, "Prediction explorer"),
    el(
      "p",
      { class: "note" },
      "Quantiles of the matching events stored on this server, given only when enough events from enough instances match (the privacy rule); no single event is ever shown.",
    ),
    form,
    body,
  );
}

export const predictionView: View = { id: "predict", title: "Prediction explorer", for: ["key"], usesRange: false, render };
