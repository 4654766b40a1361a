import { api } from "../api.js";
import type { SeriesResponse } from "../api-types.js";
import { barChart, timeChart } from "../chart.js";
import { el, figure } from "../dom.js";
import { figuresByGroup, type GroupFigures } from "../figures.js";
import { capitalised, formatFactor, formatInteger, formatLabel, formatPercent } from "../format.js";
import { rangeView } from "../range-view.js";
import { table, type Column } from "../table.js";
import type { View, ViewContext } from "../view-context.js";
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
  return rangeView(context, {
    id: "estimates",
    heading: "Estimates vs actuals",
    pickers: [
      { label: "By", options: BY, value: settings.by, choose: (value) => (settings.by = value) },
      { label: "Factor over time", options: FACTORS, value: settings.factor, choose: (value) => (settings.factor = value as Factor) },
    ],
    load: (range) => api.timeseries(context.credential, range, range.bucket, settings.by, context.instanceId),
    render: (data) => {
      const e = data.totals.estimates;
      const factorName = FACTORS.find(([f]) => f === settings.factor)?.[1] ?? "";
      const { x, series } = seriesByGroup(data, (figures) => figures.estimates.correction_factors[settings.factor]);
      const groups = figuresByGroup(data.series, data.ratio_buckets.length, data.group_by !== null);
      const columns: Column<GroupFigures>[] = [
        { header: capitalised(formatLabel(settings.by)), cell: ({ group }) => formatLabel(group) },
        { header: "With estimate", numeric: true, cell: ({ figures }) => formatInteger(figures.estimates.events) },
        { header: "Left out", numeric: true, cell: ({ figures }) => formatInteger(figures.estimates.without_estimate) },
        { header: "Input", numeric: true, cell: ({ figures }) => formatFactor(figures.estimates.correction_factors.input) },
        { header: "Output", numeric: true, cell: ({ figures }) => formatFactor(figures.estimates.correction_factors.output) },
        { header: "Cost", numeric: true, cell: ({ figures }) => formatFactor(figures.estimates.correction_factors.cost) },
        { header: "Within ±10%", numeric: true, cell: ({ figures }) => formatPercent(onTarget(figures.estimates.ratio_histogram, data.ratio_buckets)) },
      ];
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
        table(`Correction factors by ${formatLabel(settings.by)}`, columns, groups, "factor-table"),
      ];
    },
  });
}

export const estimatesView: View = { id: "estimates", title: "Estimates vs actuals", for: ["key", "admin"], usesRange: true, render };
