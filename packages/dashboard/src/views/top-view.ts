import { api } from "../api.js";
import { el, select, table } from "../dom.js";
import { formatDuration, formatInteger, formatLabel, formatTime, formatUsd } from "../format.js";
import { resolveRange } from "../range.js";
import { loadInto, type View, type ViewContext } from "../view-context.js";

/** The costliest tasks of the range, with their dimensions. */

const LIMITS = [
  ["10", "10"],
  ["25", "25"],
  ["100", "100"],
] as const;
const settings = { limit: "25" };

function render(context: ViewContext): HTMLElement {
  const body = el("div", { class: "view-body" });
  const controls = el(
    "div",
    { class: "controls" },
    select("Show", LIMITS, settings.limit, (value) => {
      settings.limit = value;
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
      () => api.top(context.credential, range, Number(settings.limit), context.instanceId),
      (data) => {
        if (data.events.length === 0) return [el("p", { class: "empty" }, "No events in this range.")];
        const admin = context.credential.kind === "admin";
        return [
          table(
            `The ${data.events.length} costliest tasks`,
            ["When (UTC)", ...(admin ? ["Instance"] : []), "Cost", "Estimated", "Model", "Task type", "Complexity", "Harness", "Outcome", "Tokens in / out", "Duration", "Gates"],
            data.events.map((event) => [
              formatTime(event.timestamp),
              ...(admin ? [event.instance_id.slice(0, 8)] : []),
              formatUsd(event.actual_cost_usd_micros),
              event.estimated_cost_usd_micros > 0 ? formatUsd(event.estimated_cost_usd_micros) : "–",
              event.model,
              formatLabel(event.task_type),
              event.complexity,
              formatLabel(event.harness),
              formatLabel(event.outcome),
              `${formatInteger(event.actual_input_tokens)} / ${formatInteger(event.actual_output_tokens)}`,
              formatDuration(event.task_duration_ms),
              event.quality_gate_passed ? "passed" : "failed",
            ]),
            [false, ...(admin ? [false] : []), true, true, false, false, false, false, false, true, true, false],
            "top-table",
          ),
        ];
      },
    );
  }
  refresh();
  return el("section", { "aria-labelledby": "top-title" }, el("h2", { id: "top-title" }, "Costliest tasks"), controls, body);
}

export const topView: View = { id: "top", title: "Costliest tasks", for: ["key", "admin"], usesRange: true, render };
