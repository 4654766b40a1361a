import type { Quantiles } from "@mosaicstack/telemetry-protocol";
import { el } from "./dom.js";

/**
 * A prediction's quantiles as range bars in SVG: the p10–p90 band, the p25–p75 box and the
 * median mark, one row per measure, each on its own scale (tokens, dollars and time do not
 * share an axis). Small enough not to need uPlot.
 */

const SVG = "http://www.w3.org/2000/svg";
const WIDTH = 640;
const ROW = 56;
const LABEL = 150;
const PAD = 12;

function svg<K extends keyof SVGElementTagNameMap>(tag: K, attributes: Record<string, string | number>, text?: string): SVGElementTagNameMap[K] {
  const node = document.createElementNS(SVG, tag);
  for (const [name, value] of Object.entries(attributes)) node.setAttribute(name, String(value));
  if (text !== undefined) node.textContent = text;
  return node;
}

export interface QuantileRow {
  label: string;
  quantiles: Quantiles;
  format: (value: number) => string;
}

export function quantileChart(title: string, rows: QuantileRow[], testId: string): HTMLElement {
  const height = rows.length * ROW + PAD;
  const chart = svg("svg", { viewBox: `0 0 ${WIDTH} ${height}`, role: "img", "aria-labelledby": `${testId}-title`, class: "quantile-svg" });
  chart.append(svg("title", { id: `${testId}-title` }, title));
  const span = WIDTH - LABEL - PAD * 2;
  rows.forEach((row, i) => {
    const { p10, p25, median, p75, p90 } = row.quantiles;
    const top = PAD + i * ROW;
    // Each row from 0 to a little past its p90, so the band's position says how wide the spread is.
    const max = p90 > 0 ? p90 * 1.1 : 1;
    const x = (value: number): number => LABEL + PAD + (Math.max(0, value) / max) * span;
    const group = svg("g", { class: "quantile-row" });
    group.append(
      svg("text", { x: 0, y: top + 22, class: "q-label" }, row.label),
      svg("rect", { x: x(p10), y: top + 8, width: Math.max(1, x(p90) - x(p10)), height: 22, class: "q-band" }),
      svg("rect", { x: x(p25), y: top + 8, width: Math.max(1, x(p75) - x(p25)), height: 22, class: "q-box" }),
      svg("line", { x1: x(median), x2: x(median), y1: top + 4, y2: top + 34, class: "q-median" }),
      svg("text", { x: x(p10), y: top + 48, class: "q-tick", "text-anchor": "start" }, `p10 ${row.format(p10)}`),
      svg("text", { x: x(median), y: top + 48, class: "q-tick q-tick-median", "text-anchor": "middle" }, `median ${row.format(median)}`),
      svg("text", { x: Math.min(x(p90), WIDTH - PAD), y: top + 48, class: "q-tick", "text-anchor": "end" }, `p90 ${row.format(p90)}`),
    );
    chart.append(group);
  });
  return el(
    "figure",
    { class: "chart", "data-testid": testId, "data-points": rows.length },
    el("figcaption", {}, title),
    chart,
    el("p", { class: "legend-note" }, "Light band: p10 to p90. Dark box: p25 to p75. Line: the median."),
  );
}
