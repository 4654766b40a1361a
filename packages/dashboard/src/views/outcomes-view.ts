import { api } from "../api.js";
import { barChart, timeChart } from "../chart.js";
import { el, figure, select, table } from "../dom.js";
import { figuresByGroup } from "../figures.js";
import { capitalised, formatInteger, formatLabel, formatPercent, formatUsd, formatUsdAxis } from "../format.js";
import { resolveRange } from "../range.js";
import { loadInto, type View, type ViewContext } from "../view-context.js";
import { seriesByGroup } from "./usage-view.js";

/** Outcomes and quality: success rate, gate pass rate, cost per successful task, by model or task type. */

const BY = [
  ["model", "Model"],
  ["task_type", "Task type"],
] as const;

const settings = { by: "model" };

function render(context: ViewContext): HTMLElement {
  const body = el("div", { class: "view-body" });
  const controls = el(
    "div",
    { class: "controls" },
    select("By", BY, settings.by, (value) => {
      settings.by = value;
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
        const t = data.totals;
        const groups = figuresByGroup(data.series, data.ratio_buckets.length);
        const { x, series } = seriesByGroup(data, (figures) => figures.success_rate);
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
          table(
            `Outcomes by ${formatLabel(settings.by)}`,
            [capitalised(formatLabel(settings.by)), "Events", "Success rate", "Gate pass rate", "Cost per success", "Actual cost"],
            groups.map(({ group, figures }) => [
              formatLabel(group),
              formatInteger(figures.events),
              formatPercent(figures.success_rate),
              formatPercent(figures.gate_pass_rate),
              formatUsd(figures.cost_per_success_usd_micros),
              formatUsd(figures.cost_usd_micros),
            ]),
            [false, true, true, true, true, true],
            "outcome-table",
          ),
        ];
      },
    );
  }
  refresh();
  return el("section", { "aria-labelledby": "outcomes-title" }, el("h2", { id: "outcomes-title" }, "Outcomes and quality"), controls, body);
}

export const outcomesView: View = { id: "outcomes", title: "Outcomes and quality", for: ["key", "admin"], usesRange: true, render };
