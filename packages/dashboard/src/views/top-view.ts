import { api } from "../api.js";
import type { TopEvent } from "../api-types.js";
import { el } from "../dom.js";
import { formatDuration, formatInteger, formatLabel, formatTime, formatUsd } from "../format.js";
import { rangeView } from "../range-view.js";
import { table, type Column } from "../table.js";
import type { View, ViewContext } from "../view-context.js";

/** The costliest tasks of the range, with their dimensions. */

const LIMITS = [
  ["10", "10"],
  ["25", "25"],
  ["100", "100"],
] as const;
const settings = { limit: "25" };

/** The columns, the instance's only for the admin token (which reads every instance). */
function columns(admin: boolean): Column<TopEvent>[] {
  return [
    { header: "When (UTC)", cell: (event) => formatTime(event.timestamp) },
    ...(admin ? [{ header: "Instance", cell: (event: TopEvent) => event.instance_id.slice(0, 8) }] : []),
    { header: "Cost", numeric: true, cell: (event) => formatUsd(event.actual_cost_usd_micros) },
    { header: "Estimated", numeric: true, cell: (event) => (event.estimated_cost_usd_micros > 0 ? formatUsd(event.estimated_cost_usd_micros) : "–") },
    { header: "Model", cell: (event) => event.model },
    { header: "Task type", cell: (event) => formatLabel(event.task_type) },
    { header: "Complexity", cell: (event) => event.complexity },
    { header: "Harness", cell: (event) => formatLabel(event.harness) },
    { header: "Outcome", cell: (event) => formatLabel(event.outcome) },
    { header: "Tokens in / out", numeric: true, cell: (event) => `${formatInteger(event.actual_input_tokens)} / ${formatInteger(event.actual_output_tokens)}` },
    { header: "Duration", numeric: true, cell: (event) => formatDuration(event.task_duration_ms) },
    { header: "Gates", cell: (event) => (event.quality_gate_passed ? "passed" : "failed") },
  ];
}

function render(context: ViewContext): HTMLElement {
  return rangeView(context, {
    id: "top",
    heading: "Costliest tasks",
    pickers: [{ label: "Show", options: LIMITS, value: settings.limit, choose: (value) => (settings.limit = value) }],
    load: (range) => api.top(context.credential, range, Number(settings.limit), context.instanceId),
    render: (data) => {
      if (data.events.length === 0) return [el("p", { class: "empty" }, "No events in this range.")];
      return [table(`The ${data.events.length} costliest tasks`, columns(context.credential.kind === "admin"), data.events, "top-table")];
    },
  });
}

export const topView: View = { id: "top", title: "Costliest tasks", for: ["key", "admin"], usesRange: true, render };
