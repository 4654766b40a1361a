import { api } from "../api.js";
import { barChart, timeChart } from "../chart.js";
import { el, figure } from "../dom.js";
import { figuresByGroup, type GroupFigures } from "../figures.js";
import { capitalised, formatInteger, formatLabel, formatPercent, formatUsd, formatUsdAxis } from "../format.js";
import { rangeView } from "../range-view.js";
import { table, type Column } from "../table.js";
import type { View, ViewContext } from "../view-context.js";
import { seriesByGroup } from "./usage-view.js";

/** Outcomes and quality: success rate, gate pass rate, cost per successful task, by model or task type. */

const BY = [
  ["model", "Model"],
  ["task_type", "Task type"],
] as const;

const settings = { by: "model" };

function render(context: ViewContext): HTMLElement {
  return rangeView(context, {
    id: "outcomes",
    heading: "Outcomes and quality",
    pickers: [{ label: "By", options: BY, value: settings.by, choose: (value) => (settings.by = value) }],
    load: (range) => api.timeseries(context.credential, range, range.bucket, settings.by, context.instanceId),
    render: (data) => {
      const t = data.totals;
      const groups = figuresByGroup(data.series, data.ratio_buckets.length, data.group_by !== null);
      const { x, series } = seriesByGroup(data, (figures) => figures.success_rate);
      const columns: Column<GroupFigures>[] = [
        { header: capitalised(formatLabel(settings.by)), cell: ({ group }) => formatLabel(group) },
        { header: "Events", numeric: true, cell: ({ figures }) => formatInteger(figures.events) },
        { header: "Success rate", numeric: true, cell: ({ figures }) => formatPercent(figures.success_rate) },
        { header: "Gate pass rate", numeric: true, cell: ({ figures }) => formatPercent(figures.gate_pass_rate) },
        { header: "Cost per success", numeric: true, cell: ({ figures }) => formatUsd(figures.cost_per_success_usd_micros) },
        { header: "Actual cost", numeric: true, cell: ({ figures }) => formatUsd(figures.cost_usd_micros) },
      ];
      return [
        el(
          "div",
          { class: "figures", "data-testid": "outcome-totals" },
          figure("Success rate", formatPercent(t.success_rate), t.success_rate, "success-rate"),
          figure("Gate pass rate", formatPercent(t.gate_pass_rate), t.gate_pass_rate, "gate-pass-rate"),
          figure("Cost per successful task", formatUsd(t.cost_per_success_usd_micros), t.cost_per_success_usd_micros, "cost-per-success"),
          figure("Successful tasks", formatInteger(t.successes), t.successes, "successes"),
        ),
        barChart({
          title: `Cost per successful task by ${formatLabel(settings.by)}`,
          labels: groups.map(({ group }) => formatLabel(group)),
          values: groups.map(({ figures }) => figures.cost_per_success_usd_micros ?? 0),
          categoryLabel: capitalised(formatLabel(settings.by)),
          valueLabel: "Cost per success",
          format: formatUsd,
          axisFormat: formatUsdAxis,
          testId: "cost-per-success-chart",
        }),
        timeChart({
          title: `Success rate per ${data.bucket}, by ${formatLabel(settings.by)}`,
          x,
          series,
          stacked: false,
          format: formatPercent,
          hourly: data.bucket === "hour",
          testId: "success-chart",
        }),
        table(`Outcomes by ${formatLabel(settings.by)}`, columns, groups, "outcome-table"),
      ];
    },
  });
}

export const outcomesView: View = { id: "outcomes", title: "Outcomes and quality", for: ["key", "admin"], usesRange: true, render };
