import { api } from "../api.js";
import type { SeriesResponse, UsageFigures } from "../api-types.js";
import { compactAxis, timeChart } from "../chart.js";
import { el, figure } from "../dom.js";
import { bucketStarts } from "../figures.js";
import { formatDuration, formatInteger, formatLabel, formatPercent, formatUsd, formatUsdAxis } from "../format.js";
import { rangeView } from "../range-view.js";
import type { View, ViewContext } from "../view-context.js";

/** Cost and tokens over time: one measure, stacked by a dimension, with the range's totals. */

const MEASURES = [
  ["cost", "Actual cost"],
  ["input", "Input tokens"],
  ["output", "Output tokens"],
  ["events", "Events"],
] as const;
type Measure = (typeof MEASURES)[number][0];

export const SPLITS = [
  ["", "Nothing (one series)"],
  ["model", "Model"],
  ["task_type", "Task type"],
  ["harness", "Harness"],
  ["outcome", "Outcome"],
] as const;

const settings: { measure: Measure; split: string } = { measure: "cost", split: "model" };

function valueOf(figures: UsageFigures, measure: Measure): number {
  if (measure === "cost") return figures.cost_usd_micros;
  if (measure === "input") return figures.input_tokens;
  if (measure === "output") return figures.output_tokens;
  return figures.events;
}

/** The range's totals as figures, each with its raw value for the tests. */
export function totalsRow(totals: UsageFigures): HTMLElement {
  return el(
    "div",
    { class: "figures", "data-testid": "totals" },
    figure("Actual cost", formatUsd(totals.cost_usd_micros), totals.cost_usd_micros, "total-cost"),
    figure("Input tokens", formatInteger(totals.input_tokens), totals.input_tokens, "total-input"),
    figure("Output tokens", formatInteger(totals.output_tokens), totals.output_tokens, "total-output"),
    figure("Events", formatInteger(totals.events), totals.events, "total-events"),
    figure("Success rate", formatPercent(totals.success_rate), totals.success_rate, "total-success-rate"),
    figure("Time spent", formatDuration(totals.duration_ms), totals.duration_ms, "total-duration"),
  );
}

/** One chart series per group, zero where a bucket has no events of that group. */
export function seriesByGroup(body: SeriesResponse, pick: (figures: UsageFigures) => number | null): { x: number[]; series: { label: string; values: (number | null)[] }[] } {
  const x = bucketStarts(body.from, body.to, body.bucket);
  const index = new Map(x.map((t, i) => [t, i]));
  const groups = new Map<string, (number | null)[]>();
  for (const point of body.series) {
    // In a split series, null is the groups past the biggest (the server sums them: other_groups).
    const label = point.group === null && body.group_by !== null ? "others" : formatLabel(point.group);
    let values = groups.get(label);
    if (values === undefined) {
      values = new Array<number | null>(x.length).fill(null);
      groups.set(label, values);
    }
    const i = index.get(Date.parse(point.start));
    if (i !== undefined) values[i] = pick(point);
  }
  return { x, series: [...groups.entries()].map(([label, values]) => ({ label, values })) };
}

function render(context: ViewContext): HTMLElement {
  return rangeView(context, {
    id: "usage",
    heading: "Cost and tokens over time",
    pickers: [
      { label: "Measure", options: MEASURES, value: settings.measure, choose: (value) => (settings.measure = value as Measure) },
      { label: "Split by", options: SPLITS, value: settings.split, choose: (value) => (settings.split = value) },
    ],
    load: (range) => api.timeseries(context.credential, range, range.bucket, settings.split || null, context.instanceId),
    render: (data) => {
      const measure = MEASURES.find(([m]) => m === settings.measure)?.[1] ?? "";
      const format = settings.measure === "cost" ? formatUsd : settings.measure === "events" ? formatInteger : compactAxis;
      const { x, series } = seriesByGroup(data, (figures) => valueOf(figures, settings.measure));
      return [
        totalsRow(data.totals),
        timeChart({
          title: `${measure} per ${data.bucket === "hour" ? "hour" : "day"}${settings.split ? `, by ${formatLabel(settings.split)}` : ""}`,
          x,
          series,
          stacked: true,
          format,
          ...(settings.measure === "cost" ? { axisFormat: formatUsdAxis } : {}),
          hourly: data.bucket === "hour",
          testId: "usage-chart",
        }),
      ];
    },
  });
}

export const usageView: View = { id: "usage", title: "Cost and tokens", for: ["key", "admin"], usesRange: true, render };
