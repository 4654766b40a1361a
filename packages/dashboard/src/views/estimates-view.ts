import { api } from "../api.js";
import type { SeriesResponse } from "../api-types.js";
import { barChart, timeChart } from "../chart.js";
import { el, figure, select, table } from "../dom.js";
import { figuresByGroup } from "../figures.js";
import { capitalised, formatFactor, formatInteger, formatLabel, formatPercent } from "../format.js";
import { resolveRange } from "../range.js";
import { loadInto, type View, type ViewContext } from "../view-context.js";
import { seriesByGroup } from "./usage-view.js";

/**
 * Estimates vs actuals: correction factors (actual ÷ estimated) over time and their
 * distribution, from the rollups' ratio buckets, by model or task type. Events without an
 * estimate are left out of every factor and counted apart.
 */

const BY = [
  ["model", "Model"],
  ["task_type", "Task type"],
] as const;
const FACTORS = [
  ["cost", "Cost"],
  ["input", "Input tokens"],
  ["output", "Output tokens"],
] as const;
type Factor = (typeof FACTORS)[number][0];

const settings: { by: string; factor: Factor } = { by: "model", factor: "cost" };

/** "< 0.25", "0.25–0.5", …, "≥ 4" from the API's bucket bounds. */
export function bucketLabels(buckets: SeriesResponse["ratio_buckets"]): string[] {
  const short = (n: number): string => String(Math.round(n * 100) / 100);
  return buckets.map(({ from, to }) => (from === null ? `< ${short(to ?? 0)}` : to === null ? `≥ ${short(from)}` : `${short(from)}–${short(to)}`));
}

/** Share of the estimated events whose ratio lies in the bucket around 1 (0.9 to 10/9). */
function onTarget(histogram: number[], buckets: SeriesResponse["ratio_buckets"]): number | null {
  const total = histogram.reduce((a, b) => a + b, 0);
  const i = buckets.findIndex(({ from, to }) => from !== null && to !== null && from <= 1 && 1 < to);
  return total > 0 && i >= 0 ? (histogram[i] ?? 0) / total : null;
}

function render(context: ViewContext): HTMLElement {
  const body = el("div", { class: "view-body" });
  const controls = el(
    "div",
    { class: "controls" },
    select("By", BY, settings.by, (value) => {
      settings.by = value;
      refresh();
    }),
    select("Factor over time", FACTORS, settings.factor, (value) => {
      settings.factor = value as Factor;
      refresh();
    }),
  );
  function refresh(): void {
    const range = resolveRange(context.range);
    if (typeof range === "string") {
      body.replaceChildren(el("p", { class: "error", role: "alert" }, range));
      return;
    }
    loadInto(
      body,
      context,
      () => api.timeseries(context.credential, range, range.bucket, settings.by, context.instanceId),
      (data) => {
        const e = data.totals.estimates;
        const factorName = FACTORS.find(([f]) => f === settings.factor)?.[1] ?? "";
        const { x, series } = seriesByGroup(data, (figures) => figures.estimates.correction_factors[settings.factor]);
        const groups = figuresByGroup(data.series, data.ratio_buckets.length);
        return [
          el(
            "div",
            { class: "figures", "data-testid": "estimate-totals" },
            figure("Events with an estimate", formatInteger(e.events), e.events, "estimated-events"),
            figure("Left out (no estimate)", formatInteger(e.without_estimate), e.without_estimate, "without-estimate"),
            figure("Input factor", formatFactor(e.correction_factors.input), e.correction_factors.input, "factor-input"),
            figure("Output factor", formatFactor(e.correction_factors.output), e.correction_factors.output, "factor-output"),
            figure("Cost factor", formatFactor(e.correction_factors.cost), e.correction_factors.cost, "factor-cost"),
          ),
          el(
            "p",
            { class: "note" },
            "A factor is actual ÷ estimated over the events with an estimate: above 1, the estimates ran low. ",
            `${formatInteger(e.without_estimate)} event${e.without_estimate === 1 ? "" : "s"} without an estimate ${e.without_estimate === 1 ? "is" : "are"} left out.`,
          ),
          timeChart({
            title: `${factorName} correction factor per ${data.bucket}, by ${formatLabel(settings.by)}`,
            x,
            series,
            stacked: false,
            format: formatFactor,
            hourly: data.bucket === "hour",
            reference: 1,
            testId: "factor-chart",
          }),
          barChart({
            title: "Distribution: events by actual ÷ estimated tokens",
            labels: bucketLabels(data.ratio_buckets),
            values: e.ratio_histogram,
            categoryLabel: "Actual ÷ estimated",
            valueLabel: "Events",
            format: formatInteger,
            testId: "ratio-histogram",
          }),
          table(
            `Correction factors by ${formatLabel(settings.by)}`,
            [capitalised(formatLabel(settings.by)), "With estimate", "Left out", "Input", "Output", "Cost", "Within ±10%"],
            groups.map(({ group, figures }) => [
              formatLabel(group),
              formatInteger(figures.estimates.events),
              formatInteger(figures.estimates.without_estimate),
              formatFactor(figures.estimates.correction_factors.input),
              formatFactor(figures.estimates.correction_factors.output),
              formatFactor(figures.estimates.correction_factors.cost),
              formatPercent(onTarget(figures.estimates.ratio_histogram, data.ratio_buckets)),
            ]),
            [false, true, true, true, true, true, true],
            "factor-table",
          ),
        ];
      },
    );
  }
  refresh();
  return el("section", { "aria-labelledby": "estimates-title" }, el("h2", { id: "estimates-title" }, "Estimates vs actuals"), controls, body);
}

export const estimatesView: View = { id: "estimates", title: "Estimates vs actuals", for: ["key", "admin"], usesRange: true, render };
